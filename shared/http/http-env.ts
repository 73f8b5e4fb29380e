import type { Context, Hono } from 'hono';
import type { Caller } from '../access/registry-access.js';
import type { ByteSource } from '../ports/blob-store.js';

export interface HttpEnv {
  Variables: {
    requestId: string;
    /** Where the request came from (`client-address.ts`); null when the runtime cannot tell. */
    clientAddress: string | null;
    /** The runtime's body reader, when it has a faster one than the Fetch API. */
    readBody?: (c: Context<HttpEnv>) => ByteSource | undefined;
    /** Who is calling, once the request has been authenticated. */
    caller?: Caller;
    /** The origin clients reach the registry at (`https://host`), for links the registry hands out. */
    publicOrigin: string;
    /** Where a `401` on `/v2` sends clients for a token. */
    challenge?: { realm: string; service: string };
  };
}

export type HttpApp = Hono<HttpEnv>;
