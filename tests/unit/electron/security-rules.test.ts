import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  SECURE_WEB_PREFERENCES,
  contentSecurityPolicy,
  contentTypeFor,
  isAppUrl,
  isInside,
  isNavigationAllowed,
  isRequestAllowed,
  isTrustedSender,
  permissionDecision,
  resolveAppFile,
  responseSecurityHeaders,
  shouldForceCsp,
  windowOpenDecision,
} from '../../../main/electron/security-rules';

describe('app origin', () => {
  it('accepts the app origin and its paths', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl(`${APP_ORIGIN}/assets/index-abc.js`)).toBe(true);
    expect(isAppUrl(`${APP_ORIGIN}/#/sessions/3`)).toBe(true);
  });

  it.each([
    'https://ddi/index.html',
    'http://localhost:5173/',
    'file:///etc/passwd',
    'app://ddi.evil.com/index.html',
    'app://evil/index.html',
    'app://ddi@evil/index.html',
    'app://user:pw@ddi/index.html',
    'app://ddi:8080/index.html',
    'app://evil/?next=app://ddi/',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'about:blank',
    'devtools://devtools/bundled/inspector.html',
    'not a url',
    '',
  ])('rejects %s', (url) => {
    expect(isAppUrl(url)).toBe(false);
    expect(isNavigationAllowed(url)).toBe(false);
  });

  it('allows navigation only inside the app', () => {
    expect(isNavigationAllowed(`${APP_ORIGIN}/index.html#/meters`)).toBe(true);
    expect(isNavigationAllowed('https://example.com/')).toBe(false);
  });
});

describe('new windows and permissions', () => {
  it('denies every window.open', () => {
    for (const url of [APP_ENTRY_URL, 'https://example.com/', 'about:blank']) {
      expect(windowOpenDecision(url)).toEqual({ action: 'deny' });
    }
  });

  it('denies every permission, whoever asks', () => {
    for (const p of ['media', 'notifications', 'serial', 'hid', 'usb', 'geolocation', 'clipboard-read', 'openExternal', 'unknown']) {
      expect(permissionDecision(p, APP_ENTRY_URL)).toBe(false);
      expect(permissionDecision(p, 'https://example.com')).toBe(false);
    }
  });
});

describe('request filter (no remote content)', () => {
  it('lets the app, inline data, app blobs and devtools through', () => {
    expect(isRequestAllowed(`${APP_ORIGIN}/assets/a.js`)).toBe(true);
    expect(isRequestAllowed('data:image/png;base64,AAAA')).toBe(true);
    expect(isRequestAllowed(`blob:${APP_ORIGIN}/0b8e1c5e-1111-2222-3333-444455556666`)).toBe(true);
    expect(isRequestAllowed('devtools://devtools/bundled/inspector.html')).toBe(true);
  });

  it.each([
    'https://cdn.example.com/lib.js',
    'http://127.0.0.1:8080/api',
    'ws://127.0.0.1:1234/api',
    'wss://example.com/',
    'file:///home/user/.ssh/id_rsa',
    'ftp://example.com/x',
    'blob:https://evil.example/0b8e1c5e',
    'chrome://settings',
    'garbage',
  ])('cancels %s', (url) => {
    expect(isRequestAllowed(url)).toBe(false);
  });
});

describe('IPC sender check', () => {
  const good = { frameUrl: APP_ENTRY_URL, isTopFrame: true, isMainWindow: true };
  it('trusts only the main window top frame at the app origin', () => {
    expect(isTrustedSender(good)).toBe(true);
  });
  it('refuses a sub-frame, another window, a destroyed frame or a foreign page', () => {
    expect(isTrustedSender({ ...good, isTopFrame: false })).toBe(false);
    expect(isTrustedSender({ ...good, isMainWindow: false })).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: null })).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'https://example.com/' })).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'file:///tmp/x.html' })).toBe(false);
  });
});

describe('app:// file resolver', () => {
  const root = mkdtempSync(join(tmpdir(), 'ddi-renderer-'));

  it('maps app URLs to files under the root', () => {
    expect(resolveAppFile(root, `${APP_ORIGIN}/`)).toBe(join(root, 'index.html'));
    expect(resolveAppFile(root, APP_ENTRY_URL)).toBe(join(root, 'index.html'));
    expect(resolveAppFile(root, `${APP_ORIGIN}/assets/index-abc.js`)).toBe(join(root, 'assets', 'index-abc.js'));
    expect(resolveAppFile(root, `${APP_ORIGIN}/assets/index.js?v=1#x`)).toBe(join(root, 'assets', 'index.js'));
    expect(resolveAppFile(root, `${APP_ORIGIN}/fonts/My%20Font.woff2`)).toBe(join(root, 'fonts', 'My Font.woff2'));
  });

  // The URL parser (Node's here, Chromium's in Electron) resolves `..`, `%2e%2e` and `%2e` segments
  // before we see the path, clamping them at the origin's root: they land inside the folder.
  it.each([
    ['app://ddi/../../etc/passwd', 'etc/passwd'],
    ['app://ddi/%2e%2e/%2e%2e/etc/passwd', 'etc/passwd'],
    ['app://ddi/assets/%2E%2E/%2E%2E/secret', 'secret'],
    ['app://ddi/assets/%2e/x.js', 'assets/x.js'],
  ])('clamps %s inside the root', (url, rel) => {
    expect(resolveAppFile(root, url)).toBe(join(root, ...rel.split('/')));
  });

  it.each([
    'app://ddi/..%2f..%2fetc%2fpasswd',
    'app://ddi/..%5c..%5cwindows%5cwin.ini',
    'app://ddi/..\\..\\windows\\win.ini',
    'app://ddi/index.html%00.png',
    'app://ddi/C:/Windows/win.ini',
    'app://ddi/%E0%A4%A',
    'app://evil/index.html',
    'https://ddi/index.html',
    'file:///etc/passwd',
  ])('refuses %s', (url) => {
    expect(resolveAppFile(root, url)).toBeNull();
  });

  it('never resolves outside the root, for any path', () => {
    // Deterministic sweep over nasty segment combinations.
    const parts = ['..', '%2e%2e', '.%2e', '%2e.', 'a', '%2f', '%5c', '%00', '~', '.', '', 'assets'];
    for (const a of parts)
      for (const b of parts)
        for (const c of parts) {
          const out = resolveAppFile(root, `${APP_ORIGIN}/${a}/${b}/${c}`);
          if (out !== null) expect(isInside(root, out)).toBe(true);
        }
  });

  it('isInside is not fooled by a sibling folder with the same prefix', () => {
    expect(isInside(`${sep}app`, `${sep}app-evil${sep}x`)).toBe(false);
    expect(isInside(`${sep}app`, `${sep}app${sep}x`)).toBe(true);
    expect(isInside(`${sep}app`, `${sep}app`)).toBe(true);
    expect(isInside(`${sep}app`, `${sep}`)).toBe(false);
  });

  it('gives scripts a script type and unknown files an opaque one', () => {
    expect(contentTypeFor('/x/index.html')).toMatch(/^text\/html/);
    expect(contentTypeFor('/x/a.JS')).toMatch(/^text\/javascript/);
    expect(contentTypeFor('/x/a.css')).toMatch(/^text\/css/);
    expect(contentTypeFor('/x/a.wasm')).toBe('application/wasm');
    expect(contentTypeFor('/x/a.unknown')).toBe('application/octet-stream');
    expect(contentTypeFor('/x/noext')).toBe('application/octet-stream');
  });
});

describe('CSP and headers', () => {
  const csp = contentSecurityPolicy();
  const directives = new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values] as const;
    }),
  );

  it('allows scripts only from the app itself', () => {
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'none'"]);
  });

  it('has no unsafe-eval, unsafe-inline, wildcard or remote source anywhere', () => {
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|unsafe-hashes|wasm-unsafe-eval|strict-dynamic/);
    expect(csp).not.toMatch(/\*|https?:|wss?:|file:/);
  });

  it('limits connections to the app and forbids framing, plugins, forms and base changes', () => {
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('frame-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
  });

  it('is forced onto every response except DevTools pages', () => {
    expect(shouldForceCsp(APP_ENTRY_URL)).toBe(true);
    expect(shouldForceCsp('https://example.com/x.js')).toBe(true);
    expect(shouldForceCsp('not a url')).toBe(true);
    expect(shouldForceCsp('devtools://devtools/bundled/inspector.html')).toBe(false);
  });

  it('is sent with nosniff on every response', () => {
    const headers = responseSecurityHeaders();
    expect(headers['Content-Security-Policy']).toBe(csp);
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('window and scheme settings', () => {
  it('pins the hardened webPreferences', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
    expect(SECURE_WEB_PREFERENCES).not.toHaveProperty('enableBlinkFeatures');
    expect(SECURE_WEB_PREFERENCES).not.toHaveProperty('preload');
  });

  it('registers app:// as a secure standard scheme that does not bypass CSP', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true });
    expect(APP_SCHEME_PRIVILEGES).not.toHaveProperty('bypassCSP');
    expect(APP_SCHEME_PRIVILEGES).not.toHaveProperty('allowServiceWorkers');
    expect(APP_SCHEME_PRIVILEGES).not.toHaveProperty('corsEnabled');
  });
});
