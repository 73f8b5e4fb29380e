import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import type { AddressGuard } from './address-guard.js';

/**
 * Opens sockets only to addresses the guard allows. A socket skips
 * `lookup` for a literal address, so those are judged here.
 */
export function guardedConnector(
  guard: AddressGuard,
  tls: { rejectUnauthorized: boolean },
): buildConnector.connector {
  const base = buildConnector({ ...tls, lookup: guard.lookup });
  return (options, callback) => {
    if (isIP(options.hostname.replace(/^\[|\]$/g, '')) && guard.forbidden(options.hostname)) {
      callback(new Error(`refusing to connect to internal address ${options.hostname}`), null);
      return;
    }
    base(options, callback);
  };
}
