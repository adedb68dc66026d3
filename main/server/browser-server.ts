/**
 * Browser mode: the same core behind a WebSocket + static file server on 127.0.0.1 only. Every
 * request needs the random token printed at start: in the page URL (which then sets an HttpOnly,
 * SameSite=Strict cookie for the assets) and on the WebSocket URL. The Host header must name the
 * loopback address, which stops DNS-rebinding pages from talking to it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES } from '../api/contract';
import { ClientMessageSchema, TOKEN_PARAM, WS_PATH, type ServerMessage } from '../api/wire';
import { AppCore, ApiError, type ExportOutput, type ExportRange } from '../core/app-core';
import type { ExportFormat } from '../export/session-export';
import { UserError } from '../util/errors';
import { defaultStaticRoot, mimeFor, resolveStatic } from './static-files';

export interface BrowserServerOptions {
  dbPath: string;
  port?: number;
  staticRoot?: string;
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  core: AppCore;
  close(): Promise<void>;
}

const COOKIE = 'ddi_token';
/**
 * The largest call is a session start with 10,000 characters of notes (≤ 60 kB as JSON even if
 * every character is escaped); anything far beyond that is not a call and is refused (close 1009).
 */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** Unsent data a slow or stalled client may hold before it is disconnected. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const MALFORMED = 'Malformed message: send one JSON object {"type":"call","id":N,"name":CALL,"input":{…}} per WebSocket text message.';
const DOWNLOAD_TTL_MS = 5 * 60_000;
const DOWNLOAD_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  // The registered type (IANA, 2024) of Apache Parquet files.
  parquet: 'application/vnd.apache.parquet',
  html: 'text/html; charset=utf-8',
};

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const staticRoot = options.staticRoot ?? defaultStaticRoot();
  if (!existsSync(staticRoot)) {
    throw new UserError(`The app's web files are missing at ${staticRoot}; run "npm run build" first.`, 'no-renderer');
  }
  const token = options.token ?? randomBytes(24).toString('base64url');
  const downloads = new Map<string, { id: number; format: ExportFormat; fileName: string; expires: number; range?: ExportRange }>();

  const core = AppCore.open({
    dbPath: options.dbPath,
    transport: 'browser',
    deliverExport: async (id, format, fileName, range): Promise<ExportOutput> => {
      const nonce = randomBytes(16).toString('base64url');
      downloads.set(nonce, { id, format, fileName, expires: Date.now() + DOWNLOAD_TTL_MS, ...(range ? { range } : {}) });
      return { fileName, downloadUrl: `/download/${nonce}` };
    },
  });

  let port = 0;
  const hostOk = (req: IncomingMessage): boolean => {
    const host = req.headers.host ?? '';
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };
  const tokenOk = (candidate: string | undefined | null): boolean => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const cookieToken = (req: IncomingMessage): string | undefined => {
    const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(req.headers.cookie ?? '');
    return m?.[1];
  };

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch((e) => {
      if (!res.headersSent) sendText(res, 500, `Internal error: ${(e as Error).message}`);
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req)) return sendText(res, 403, 'Forbidden: use the 127.0.0.1 URL printed by ddi-profiler serve.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const queryToken = url.searchParams.get(TOKEN_PARAM);
    const authed = tokenOk(queryToken) || tokenOk(cookieToken(req));
    if (!authed) {
      return sendText(res, 401, 'This DDI Profiler server needs its access token: open the full URL that "ddi-profiler serve" printed.');
    }
    const security = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
    };
    if (url.pathname.startsWith('/download/')) {
      const nonce = url.pathname.slice('/download/'.length);
      const d = downloads.get(nonce);
      downloads.delete(nonce);
      if (!d || d.expires < Date.now()) return sendText(res, 404, 'This download link has expired; export the session again.');
      res.writeHead(200, {
        ...security,
        'Content-Type': DOWNLOAD_TYPES[d.format],
        'Content-Disposition': `attachment; filename="${d.fileName}"`,
      });
      try {
        // The export runs in a worker; a client that goes away cancels it (the 'close' of res).
        await core.writeSessionExport(d.id, d.format, res, d.range);
      } catch {
        // Headers are out: a cut-off connection is the only honest way to say the file is incomplete.
        res.destroy();
        return;
      }
      res.end();
      return;
    }
    const file = resolveStatic(staticRoot, url.pathname) ?? (url.pathname.includes('.') ? undefined : resolveStatic(staticRoot, '/'));
    if (!file) return sendText(res, 404, 'Not found.');
    const headers: Record<string, string> = { ...security, 'Content-Type': mimeFor(file) };
    if (queryToken) headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    // Node removes its own error listener from an upgrading socket; a client that resets it now
    // (or while we refuse it) would otherwise raise an unhandled 'error' and end the process.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== WS_PATH || !hostOk(req) || !originOk || !tokenOk(url.searchParams.get(TOKEN_PARAM))) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws));
  });

  function attachClient(ws: WebSocket): void {
    const send = (msg: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const offs = EVENT_NAMES.map((name) =>
      core.on(name, (payload) => {
        // A client that stops reading must not make the server hold its events without bound.
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.terminate();
        send({ type: 'event', name, payload });
      }),
    );
    ws.on('close', () => offs.forEach((off) => off()));
    // A bad frame (invalid opcode, unmasked, invalid UTF-8, over maxPayload…) makes ws emit 'error'
    // and close that socket with the matching code (1002, 1007, 1009); without a listener the
    // 'error' would be thrown and take the whole server, and any recording, down with it.
    ws.on('error', () => undefined);
    ws.on('message', (raw) => {
      let msg;
      try {
        msg = ClientMessageSchema.parse(JSON.parse(String(raw)));
      } catch {
        return send({ type: 'result', id: -1, ok: false, error: { message: MALFORMED, code: 'invalid-input' } });
      }
      core.handle(msg.name, msg.input).then(
        (output) => send({ type: 'result', id: msg.id, ok: true, output }),
        (e: unknown) => {
          const error = e instanceof ApiError ? e.shape : { message: String(e), code: 'internal' };
          send({ type: 'result', id: msg.id, ok: false, error });
        },
      );
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new UserError(`Port ${options.port} is already in use; pick another with --port or omit it for a random one.`, 'port-in-use')
          : e,
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  }).catch(async (e) => {
    await core.close();
    throw e;
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    port,
    token,
    core,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await core.close();
    },
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text + '\n');
}
