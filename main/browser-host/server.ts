// The browser host (a development tool): serves the built renderer on 127.0.0.1 behind a random token and answers
// the contract over a WebSocket, so the console runs, and is tested, in a browser where Electron can't be had.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName } from '../../preload/contract';
import { bindEvents, createHandlers } from '../ipc/handlers';
import { dispatch } from '../ipc/dispatch';
import { CONTENT_SECURITY_POLICY } from '../security/csp';
import { startNodeServices, type NodeServicesOptions } from '../node-services';
import type { Services } from '../services';
import { buildShim } from './shim';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BrowserHostOptions {
  /** Where the vault's files live (the services are started here unless `services` is given). */
  dataDir: string;
  /** Services to serve; by default the host starts its own (and closes them when it closes). */
  services?: Services;
  /** Look for USB Ledgers too (off in tests). */
  usb?: boolean;
  port?: number;
  /** The built renderer (vite build output). */
  rendererDir?: string;
  /** Where the services log (by default stderr); the command gives its rotated log files in the data folder. */
  log?: NodeServicesOptions['log'];
}

export interface BrowserHost {
  /** The address to open, token included. */
  url: string;
  port: number;
  services: Services;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const COOKIE = 'custos_token';
const MAX_MESSAGE_BYTES = 1 << 20;

function tokenFrom(req: IncomingMessage, url: URL): string | null {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const cookie = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? cookie.slice(COOKIE.length + 1) : null;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const rendererDir = path.resolve(options.rendererDir ?? path.join(repoRoot, 'out/renderer'));
  const indexFile = path.join(rendererDir, 'index.html');
  try {
    await stat(indexFile);
  } catch {
    throw new Error(`The renderer is not built (${indexFile} is missing). Run npm run build:renderer first.`);
  }
  const shim = await buildShim();
  const ownServices = !options.services;
  const services =
    options.services ?? (await startNodeServices({ dataDir: options.dataDir, shell: 'browser-host', usb: options.usb ?? false, ...(options.log ? { log: options.log } : {}) }));
  const token = randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const authorised = (candidate: string | null) => {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };
  const handlers = createHandlers(services);

  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      ...headers,
    });
    res.end(body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method !== 'GET') return send(res, 405, 'Method not allowed');
      if (!authorised(tokenFrom(req, url))) {
        return send(res, 403, 'Custos browser host: open the address printed when the host started (it carries a token).');
      }
      const cookie = { 'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` };
      if (url.pathname === '/__custos/shim.js') return send(res, 200, shim, CONTENT_TYPES['.js'], cookie);
      if (url.pathname === '/' || url.pathname === '/index.html') {
        const html = await readFile(indexFile, 'utf8');
        // The shim must define window.custos before the app's module script runs: a classic script in <head> does.
        const injected = html.replace(/<head>/i, '<head>\n    <script src="./__custos/shim.js"></script>');
        return send(res, 200, injected, CONTENT_TYPES['.html'], { ...cookie, 'content-security-policy': CONTENT_SECURITY_POLICY });
      }
      let requested: string;
      try {
        requested = decodeURIComponent(url.pathname);
      } catch {
        return send(res, 400, 'Bad request');
      }
      const file = path.resolve(rendererDir, '.' + requested);
      if (!file.startsWith(rendererDir + path.sep)) return send(res, 404, 'Not found');
      try {
        const body = await readFile(file);
        return send(res, 200, body, CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', cookie);
      } catch {
        return send(res, 404, 'Not found');
      }
    })().catch((err: unknown) => {
      services.log.error('browser host request failed', err);
      if (!res.headersSent) send(res, 500, 'Internal error');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const expectedOrigin = `http://${req.headers.host}`;
    if (url.pathname !== '/__custos/ws' || !authorised(tokenFrom(req, url)) || origin !== expectedOrigin) {
      socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data) => {
      void (async () => {
        let message: { type?: unknown; id?: unknown; channel?: unknown; input?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          return;
        }
        if (message?.type !== 'invoke' || typeof message.id !== 'number') return;
        const result = await dispatch(handlers, message.channel, message.input, services.log);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id: message.id, result }));
      })();
    });
  });

  const unbind = bindEvents(services, (event: EventName, payload: unknown) => {
    const frame = JSON.stringify({ type: 'event', event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    services,
    async close() {
      unbind();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownServices) await services.close();
    },
  };
}
