/**
 * The app:// request handler as a plain function from a fetch Request to a Response, with no
 * 'electron' import: app-protocol.ts registers it with Electron, and the tests (unit and the
 * Chromium e2e in tests/e2e/electron-shell.test.ts) run the very same function.
 */
import { readFile, realpath } from 'node:fs/promises';
import { extname } from 'node:path';
import { contentTypeFor, isInside, resolveAppFile, responseSecurityHeaders } from './security-rules';

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...responseSecurityHeaders() } });
}

async function readInside(root: string, file: string): Promise<Buffer | null> {
  try {
    // A symlink inside the folder must not lead outside it: compare real paths, not just names.
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!isInside(realRoot, realFile)) return null;
    return await readFile(realFile);
  } catch {
    return null;
  }
}

export function createAppFileHandler(rendererRoot: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Method not allowed', { status: 405, headers: responseSecurityHeaders() });
    }
    const file = resolveAppFile(rendererRoot, request.url);
    if (!file) return notFound();
    let served = file;
    let body = await readInside(rendererRoot, file);
    // Client-side routes ("/sessions/3") have no extension: give them the app shell.
    if (!body && extname(file) === '') {
      const index = resolveAppFile(rendererRoot, new URL('/index.html', request.url).toString());
      if (index) {
        served = index;
        body = await readInside(rendererRoot, index);
      }
    }
    if (!body) return notFound();
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { 'Content-Type': contentTypeFor(served), ...responseSecurityHeaders() },
    });
  };
}
