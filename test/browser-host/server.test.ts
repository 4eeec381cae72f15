// The browser host: the token gate, the files it serves, and the contract answered over its WebSocket.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../main/browser-host/server';

let host: BrowserHost;
let token: string;
let origin: string;

beforeAll(async () => {
  // A secret file beside the renderer folder: what a path-traversal attempt would try to read.
  const root = mkdtempSync(path.join(tmpdir(), 'custos-renderer-'));
  writeFileSync(path.join(root, 'secret.txt'), 'not for the browser');
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
  mkdirSync(path.join(rendererDir, 'assets'));
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  host = await startBrowserHost({ dataDir: mkdtempSync(path.join(tmpdir(), 'custos-host-')), rendererDir });
  const url = new URL(host.url);
  token = url.searchParams.get('token') ?? '';
  origin = url.origin;
});
afterAll(async () => {
  await host?.close();
});

function connect(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/__custos/ws`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(ws: WebSocket, id: number, channel: unknown, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { type: string; id: number; result: never };
      if (message.type === 'result' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'invoke', id, channel, input }));
  });
}

describe('browser host', () => {
  it('serves only 127.0.0.1, with a long random token', () => {
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses every request without the token, or with a wrong one', async () => {
    expect((await fetch(`${origin}/`)).status).toBe(403);
    const wrong = token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x');
    expect((await fetch(`${origin}/?token=${wrong}`)).status).toBe(403);
    expect((await fetch(`${origin}/assets/app.js`)).status).toBe(403);
    expect((await fetch(`${origin}/__custos/shim.js`)).status).toBe(403);
  });

  it('serves the console with the shim injected first, its CSP as a header, and a token cookie', async () => {
    const res = await fetch(`${origin}/?token=${token}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.indexOf('__custos/shim.js')).toBeGreaterThan(-1);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = `custos_token=${token}`;
    const asset = await fetch(`${origin}/assets/app.js`, { headers: { cookie } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const shim = await fetch(`${origin}/__custos/shim.js`, { headers: { cookie } });
    expect(await shim.text()).toContain('custos');
  });

  it('never serves a file outside the renderer folder', async () => {
    const cookie = `custos_token=${token}`;
    for (const p of ['/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/%2e%2e/renderer/../secret.txt']) {
      const res = await fetch(`${origin}${p}`, { headers: { cookie } });
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toContain('not for the browser');
    }
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    await expect(connect({ origin })).rejects.toThrow(/403/);
    await expect(connect({ cookie: `custos_token=${token}`, origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('answers the contract over the WebSocket, validating every call, and pushes events', async () => {
    const ws = await connect({ cookie: `custos_token=${token}`, origin });
    try {
      expect(await call(ws, 1, 'devices.list', {})).toEqual({ ok: true, value: [] });
      expect((await call(ws, 2, 'no.such', {})).error?.code).toBe('UNKNOWN_CHANNEL');
      expect((await call(ws, 3, 'devices.identity', { deviceId: 'x', path: 'nope' })).error?.code).toBe('BAD_INPUT');
      ws.send('not json at all');
      ws.send(JSON.stringify({ type: 'invoke', id: 'not-a-number', channel: 'devices.list' }));
      const changed = new Promise<unknown>((resolve) => {
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; event?: string; payload?: unknown };
          if (message.type === 'event' && message.event === 'devices.changed') resolve(message.payload);
        });
      });
      const added = await call(ws, 4, 'devices.addVirtual', { label: 'Test device' });
      expect(added).toMatchObject({ ok: true, value: { kind: 'virtual', label: 'Test device', mnemonic: expect.stringMatching(/^(\w+ ){11}\w+$/) } });
      expect(await changed).toEqual([expect.objectContaining({ label: 'Test device' })]);
    } finally {
      ws.close();
    }
  });
});
