/**
 * The app:// protocol: the only way content reaches the window. It serves files from the built
 * renderer folder and nothing else (app-files.ts; which file a URL maps to is decided by the
 * tested resolveAppFile() in security-rules.ts).
 */
import { protocol, type Session } from 'electron';
import { createAppFileHandler } from './app-files';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES } from './security-rules';

/** Must run before app 'ready' (Electron's rule for privileged schemes). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

export function serveAppFiles(ses: Session, rendererRoot: string): void {
  ses.protocol.handle(APP_SCHEME, createAppFileHandler(rendererRoot));
}
