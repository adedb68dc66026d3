/**
 * The Electron shell's security decisions as pure functions. Nothing here imports 'electron', so
 * every predicate is unit-tested in plain Node (tests/unit/electron/security-rules.test.ts); the
 * files that do import Electron only wire these answers into its hooks.
 */
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

/** The app's own scheme and host: the renderer is served only from app://ddi/. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'ddi';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges for app:// (protocol.registerSchemesAsPrivileged). `standard` gives it a real origin
 * and relative-URL resolution; `secure` makes it a secure context; `supportFetchAPI` lets the page
 * fetch its own assets. Deliberately NOT `bypassCSP` (the CSP must apply), `corsEnabled` or
 * `allowServiceWorkers` (nothing cross-origin or offline-cached is needed).
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
} as const;

/**
 * webPreferences for every window. Most are Electron's defaults today; they are spelled out so a
 * template or a future default change cannot silently weaken them, and a test pins each value.
 */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const;

/**
 * The Content-Security-Policy sent with every app:// response. Scripts only from the app's own
 * files (no inline script, no eval, no wasm compilation), API traffic goes over IPC so connect-src
 * needs nothing beyond 'self', and nothing may frame or be framed. The renderer's build adds a
 * similar <meta> CSP; browsers enforce both, so the stricter of the two wins for each directive.
 */
export const CSP_DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'none'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data: blob:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['worker-src', "'self'"],
  ['manifest-src', "'self'"],
  ['media-src', "'none'"],
  ['object-src', "'none'"],
  ['frame-src', "'none'"],
  ['child-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

export function contentSecurityPolicy(): string {
  return CSP_DIRECTIVES.map(([name, value]) => `${name} ${value}`).join('; ');
}

/** Headers added to every file the app protocol serves. */
export function responseSecurityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/**
 * True only for URLs at the app's own origin. Compared on the parsed URL, not by string prefix,
 * so `app://ddi.evil/`, `app://ddi@evil/` or `app://evil/?app://ddi/` do not pass.
 */
export function isAppUrl(raw: string): boolean {
  const url = parseUrl(raw);
  if (!url) return false;
  return url.protocol === `${APP_SCHEME}:` && url.hostname === APP_HOST && url.port === '' && url.username === '' && url.password === '';
}

/** The window may navigate (or redirect) only within the app itself; everything else is blocked. */
export function isNavigationAllowed(raw: string): boolean {
  return isAppUrl(raw);
}

/** window.open, target=_blank links and similar never create a window. */
export function windowOpenDecision(_url: string): { action: 'deny' } {
  return { action: 'deny' };
}

/**
 * Every permission (camera, notifications, serial, HID, clipboard, geolocation, ...) is refused:
 * the page needs none, the meters are opened by the main process, not by Web Serial/WebUSB.
 */
export function permissionDecision(_permission: string, _requestingUrl?: string): false {
  return false;
}

/**
 * Which requests the session lets through at all (webRequest.onBeforeRequest): the app's own
 * files, inline data/blob URLs the page creates, and DevTools' own pages. Everything else
 * (http, https, ws, file, ftp, other custom schemes) is cancelled: no remote content is ever loaded.
 */
export function isRequestAllowed(raw: string): boolean {
  if (isAppUrl(raw)) return true;
  const url = parseUrl(raw);
  if (!url) return false;
  if (url.protocol === 'data:') return true;
  // blob: URLs carry their creator's origin; only the app's own blobs are acceptable.
  if (url.protocol === 'blob:') return isAppUrl(raw.slice('blob:'.length));
  if (url.protocol === 'devtools:') return true;
  return false;
}

/**
 * Whether a response gets the app's CSP forced onto it (webRequest.onHeadersReceived). Everything
 * the page could load does; DevTools' own pages (development builds only) keep their policy, or
 * the inspector would break.
 */
export function shouldForceCsp(raw: string): boolean {
  const url = parseUrl(raw);
  return !(url && url.protocol === 'devtools:');
}

export interface SenderInfo {
  /** The frame that sent the message; null when it has navigated away or been destroyed. */
  frameUrl: string | null;
  /** The sending frame is the top-level frame (not an iframe). */
  isTopFrame: boolean;
  /** The sending WebContents is the app's main window (not some other window or a devtools). */
  isMainWindow: boolean;
}

/**
 * IPC is answered only for the main window's top frame while it shows the app's own page. Even
 * with navigation blocked this matters: a future iframe or a second window must not reach the core.
 */
export function isTrustedSender(sender: SenderInfo): boolean {
  return sender.isMainWindow && sender.isTopFrame && sender.frameUrl !== null && isAppUrl(sender.frameUrl);
}

/**
 * Maps an app:// request URL to a file under `root`, or null when it must not be served.
 * Rejects: another scheme/host, encoded separators or NUL (they have no business in our asset
 * names and are classic traversal vectors), any `..` or `.` segment after decoding, and any result
 * that does not stay inside root. "/" serves index.html. The URL parser has already collapsed
 * literal `/../`, so the decoded-segment check is what catches `%2e%2e`.
 */
export function resolveAppFile(root: string, rawUrl: string): string | null {
  if (!isAppUrl(rawUrl)) return null;
  const url = parseUrl(rawUrl);
  if (!url) return null;
  const encodedPath = url.pathname;
  if (/%(2f|5c|00)/i.test(encodedPath) || encodedPath.includes('\\')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.' || s.includes(':'))) return null;
  const relPath = segments.length === 0 ? 'index.html' : segments.join('/');
  const absRoot = resolve(root);
  const target = resolve(absRoot, relPath);
  if (!isInside(absRoot, target)) return null;
  return target;
}

/** True when `target` is `root` itself or below it (no prefix tricks like /app vs /app-evil). */
export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..'));
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Content-Type by extension. Unknown types are served as opaque bytes; together with nosniff the
 * page cannot be tricked into running them as script.
 */
export function contentTypeFor(filePath: string): string {
  return MIME[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}
