// End-to-end harness: the browser host (real main-process services, temp data folder) and headless Chromium on it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBrowserHost } from '../../main/browser-host/server';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * Where the tests' screenshots go: test-results/screenshots, so `npm test` leaves the working tree clean. The README's
 * pictures in docs/screenshots are refreshed on purpose, by `npm run screenshots`.
 */
export const screenshotsDir = path.resolve(repoRoot, process.env.CUSTOS_SCREENSHOTS_DIR ?? 'test-results/screenshots');

const CHROMIUM = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Harness {
  page: Page;
  /** The host's address, token included. */
  url: string;
  /** Console errors and uncaught page errors seen so far (a CSP violation is logged as a console error). */
  consoleErrors: string[];
  screenshot(name: string): Promise<string>;
  /** What a person did in the page so far, counted as they would count it (see `countClicks`). */
  clicks(): Promise<ClickCount>;
  close(): Promise<void>;
}

/**
 * A person's effort: clicks in the console, choices from a list (a native list takes two clicks: open it, pick), and
 * the confirmations a virtual Ledger's screen asked for (on a real Ledger, its buttons). Typing is not counted.
 */
export interface ClickCount {
  console: number;
  choices: number;
  device: number;
}

/**
 * Counts trusted presses of the main button and list choices from the first script of the page on: a press inside a
 * virtual device's screen is the device's, every other press is the console's.
 */
function countClicks(): void {
  const count = { console: 0, choices: 0, device: 0 };
  Object.assign(window, { __custosClicks: count });
  const onDevice = (target: EventTarget | null) => {
    const dialog = target instanceof Element ? target.closest('[role="dialog"]') : null;
    return !!dialog && (dialog.textContent ?? '').includes('Virtual — not secure');
  };
  // A press, not a click event: a click on a <label> also clicks its control, which would count one press twice.
  document.addEventListener('pointerdown', (e) => {
    if (!e.isTrusted || e.button !== 0) return;
    if (onDevice(e.target)) count.device++;
    else count.console++;
  }, true);
  document.addEventListener('change', (e) => {
    if (e.target instanceof HTMLSelectElement) count.choices++;
  }, true);
}

/**
 * Starts the host on a fresh data folder (the renderer must already be built) and opens the console in Chromium.
 * `dataDir`: a folder a test already filled through the services (removed at the end like a fresh one).
 */
export async function startHarness(options: { dataDir?: string } = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'custos-e2e-')));
  const closers: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const host = await startBrowserHost({ dataDir, rendererDir: path.join(repoRoot, 'out/renderer') });
    closers.push(() => host.close());
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    closers.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    // Fails a step well within the test's own limit, so the report names the locator that did not appear.
    page.setDefaultTimeout(15_000);
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    await page.addInitScript(countClicks);
    await page.goto(host.url);
    return {
      page,
      url: host.url,
      consoleErrors,
      async screenshot(name) {
        await mkdir(screenshotsDir, { recursive: true });
        const file = path.join(screenshotsDir, name);
        // Waits for transitions (a dialog fading in or out, its mask) to finish, so the picture shows a settled screen.
        await page.waitForFunction(() =>
          document
            .getAnimations()
            // Spinners loop forever; only animations that end are waited for.
            .every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
        );
        await page.screenshot({ path: file, animations: 'disabled' });
        return file;
      },
      clicks: () => page.evaluate(() => ({ ...(window as unknown as { __custosClicks: ClickCount }).__custosClicks })),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The console on a vault a test built through the real services (the transfer harness, say): those services let go
 * of the folder (host, store, devices), then the browser host opens it as the console would.
 */
export async function startHarnessOn(built: { dir: string; client: { close(): Promise<void> }; vault: { close(): void }; store: { close(): void }; devices: { close(): Promise<void> } }): Promise<Harness> {
  await built.client.close();
  built.vault.close();
  built.store.close();
  await built.devices.close();
  return startHarness({ dataDir: built.dir });
}
