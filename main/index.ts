// The Electron shell: one locked-down window, the IPC handler table, the MPC host's spawn. Everything else is
// plain modules that also run (and are tested) under Node.
import path from 'node:path';
import { app, BrowserWindow, ipcMain, Notification, session, type WebContents } from 'electron';
import { CHANNELS, type Result } from '../preload/contract';
import { defaultDataDir } from './data-folder';
import { startElectronServices } from './electron-services';
import { dispatch } from './ipc/dispatch';
import { bindEvents, createHandlers } from './ipc/handlers';
import { isTrustedSenderUrl, type TrustedPage } from './ipc/sender';
import { fileLogger } from './file-log';
import { consoleLogger, type Logger } from './log';
import { CONTENT_SECURITY_POLICY } from './security/csp';

// Until the data folder is known, lines go to stderr; then to rotated files in its logs folder as well.
let log: Logger = consoleLogger('custos-main');
const rendererFile = path.join(import.meta.dirname, '../renderer/index.html');
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const page: TrustedPage = { rendererFile, devServerUrl };


app.enableSandbox();
// The vault lives where the CLI and the browser host look for it too (main/data-folder.ts), whatever the app's name.
app.setPath('userData', defaultDataDir());
if (!app.requestSingleInstanceLock()) app.quit();

/** No navigation, no new windows, no webviews, no permissions: the console is one local page. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedSenderUrl(url, page)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // The console links to no outside page: its list of links the OS's browser may open is empty, so no new window opens
  // and nothing is handed to the browser (Electronegativity's OPEN_EXTERNAL_JS_CHECK; test/security/shell.test.ts).
  contents.setWindowOpenHandler(({ url }) => {
    log.warn('refused to open a window', { url: url.slice(0, 200) });
    return { action: 'deny' };
  });
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 640,
    title: 'Custos',
    show: false,
    backgroundColor: '#f7f8fa',
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // A middle click must not open a link anywhere (AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  window.once('ready-to-show', () => window.show());
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  defaultSession.setPermissionCheckHandler(() => false);
  defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_event, contents) => lockDown(contents));

  const dataDir = app.getPath('userData');
  const fileLog = fileLogger(path.join(dataDir, 'logs'), 'custos-main', { echo: true });
  log = fileLog;
  const services = await startElectronServices({ dataDir, version: app.getVersion(), log: fileLog });
  const handlers = createHandlers(services);
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, input): Promise<Result<unknown>> | Result<unknown> => {
      if (!event.senderFrame || !isTrustedSenderUrl(event.senderFrame.url, page)) {
        log.warn('refused an IPC call from an untrusted frame', { channel, url: event.senderFrame?.url });
        return { ok: false, error: { code: 'FORBIDDEN_SENDER', message: 'This call did not come from the Custos console.' } };
      }
      return dispatch(handlers, channel, input, log);
    });
  }

  let window = createWindow();
  // Something new waits for the person acting (a proposal, an approval, a share to provide): the OS says so too.
  try {
    services.inbox().on('new', (items) => {
      if (!Notification.isSupported()) return;
      const body = items.slice(0, 3).map((i) => i.title).join('\n') + (items.length > 3 ? `\n…and ${items.length - 3} more` : '');
      const note = new Notification({ title: items.length === 1 ? 'Custos: one thing waits for you' : `Custos: ${items.length} things wait for you`, body });
      note.on('click', () => {
        if (window.isMinimized()) window.restore();
        window.focus();
      });
      note.show();
    });
  } catch {
    // No vault store: nothing to wait for; the console says why on its screens.
  }
  const unbind = bindEvents(services, (event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(event, payload);
  });
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    unbind();
    void services.close().finally(() => fileLog.close());
  });
}

start().catch((err: unknown) => {
  log.error('Custos failed to start', err);
  app.exit(1);
});
