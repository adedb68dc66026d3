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

/**
 * The server's cookie is HttpOnly (scripts cannot read it) and the WebSocket needs the token in
 * its URL, so the token seen in the address is also kept in sessionStorage (this tab only): a
 * reload of the page without `?token=` still reaches the API.
 */
export const TOKEN_STORAGE_KEY = 'ddi-profiler-token';

export function apiUrl(loc: { protocol: string; host: string; search: string }, cookie: string, storage?: Pick<Storage, 'getItem' | 'setItem'>): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  let token = findToken(loc.search, cookie);
  try {
    if (token) storage?.setItem(TOKEN_STORAGE_KEY, token);
    else token = storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    // Storage can be disabled; the address or cookie is then the only source.
  }
  const query = token ? `?${TOKEN_PARAM}=${encodeURIComponent(token)}` : '';
  return `${scheme}//${loc.host}${WS_PATH}${query}`;
}
