import { TOKEN_PARAM, WS_PATH } from '../../../main/api/wire';

/**
 * Where the browser-mode API lives, derived from the page's own address: the server that served
 * the page also serves the API, and `ddi-profiler serve` prints the page URL with `?token=`.
 * After the first load the server keeps the token in a cookie; if the query is gone (a bookmark,
 * a reload of a cleaned URL) the token is read from the cookie or, failing that, left to the
 * cookie the browser attaches to the WebSocket handshake itself.
 */
export function findToken(search: string, cookie: string): string | null {
  const fromQuery = new URLSearchParams(search).get(TOKEN_PARAM);
  if (fromQuery) return fromQuery;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    // The server's cookie name is its own business; accept the obvious spellings.
    if (name === TOKEN_PARAM || /(^|[-_])token$/i.test(name)) {
      const value = decodeURIComponent(part.slice(eq + 1).trim());
      if (value) return value;
    }
  }
  return null;
}

export function apiUrl(loc: { protocol: string; host: string; search: string }, cookie: string): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = findToken(loc.search, cookie);
  const query = token ? `?${TOKEN_PARAM}=${encodeURIComponent(token)}` : '';
  return `${scheme}//${loc.host}${WS_PATH}${query}`;
}
