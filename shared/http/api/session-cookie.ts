import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * The console's session cookie. Over HTTPS it is `__Host-`-prefixed, which
 * browsers accept only with `Secure`, `Path=/` and no `Domain`, so no other
 * host of the same site can set or shadow it. `HttpOnly` keeps page scripts
 * from reading it; `SameSite=Lax` keeps other sites' forms and scripts from
 * sending it, while a link from elsewhere still opens the console signed in.
 */
const cookieName = (secure: boolean) => (secure ? '__Host-berth-session' : 'berth-session');

const isSecure = (c: Context) => (c.get('publicOrigin') as string).startsWith('https:');

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, cookieName(isSecure(c)));
}

export function writeSessionCookie(c: Context, token: string, expiresAtMs: number): void {
  const secure = isSecure(c);
  setCookie(c, cookieName(secure), token, {
    path: '/',
    httpOnly: true,
    secure,
    sameSite: 'Lax',
    expires: new Date(expiresAtMs),
  });
}

export function clearSessionCookie(c: Context): void {
  const secure = isSecure(c);
  deleteCookie(c, cookieName(secure), { path: '/', secure, httpOnly: true, sameSite: 'Lax' });
}

/**
 * Whether a browser says the request came from another site. Browsers send
 * `Sec-Fetch-Site` on every request; older ones send `Origin` on writes.
 */
export function fromAnotherSite(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = c.req.header('origin');
  return origin !== undefined && origin !== 'null' && origin !== c.get('publicOrigin');
}
