/**
 * Applies the security rules to Electron's hooks. Each decision comes from a pure predicate in
 * security-rules.ts (unit-tested); this file is only the wiring.
 */
import type { Session, WebContents } from 'electron';
import { isNavigationAllowed, isRequestAllowed, permissionDecision, responseSecurityHeaders, shouldForceCsp, windowOpenDecision } from './security-rules';

type Log = (message: string) => void;

export function hardenSession(ses: Session, log: Log): void {
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    log(`Denied permission request "${permission}" from ${details.requestingUrl}.`);
    callback(permissionDecision(permission, details.requestingUrl));
  });
  ses.setPermissionCheckHandler((_contents, permission, origin) => permissionDecision(permission, origin));
  ses.setDevicePermissionHandler(() => false);
  // Web Serial / WebHID / WebUSB pickers: the page never gets a device (meters are opened in main).
  ses.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    callback('');
  });
  ses.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  ses.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  // Chromium's spellchecker would fetch Hunspell dictionaries from Google's servers.
  ses.setSpellCheckerEnabled(false);
  // No remote content: every request that is not the app's own (or inline/devtools) is cancelled.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isRequestAllowed(details.url);
    if (!allowed) log(`Blocked request to ${details.url}.`);
    callback({ cancel: !allowed });
  });
  // Belt and braces: should anything reach the page through another path, it still carries the CSP.
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!shouldForceCsp(details.url)) return callback({});
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === 'content-security-policy') delete headers[key];
    }
    for (const [key, value] of Object.entries(responseSecurityHeaders())) headers[key] = [value];
    callback({ responseHeaders: headers });
  });
}

export function hardenWebContents(contents: WebContents, log: Log): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`Denied a new window for ${url}.`);
    return windowOpenDecision(url);
  });
  const guard = (kind: string) => (event: { url: string; preventDefault(): void }) => {
    if (!isNavigationAllowed(event.url)) {
      event.preventDefault();
      log(`Blocked ${kind} to ${event.url}.`);
    }
  };
  contents.on('will-navigate', guard('navigation'));
  contents.on('will-frame-navigate', guard('frame navigation'));
  contents.on('will-redirect', guard('redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('Blocked a <webview>.');
  });
}
