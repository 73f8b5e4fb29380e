import type { Context, Hono } from 'hono';
import type { ByteSource } from '../ports/blob-store.js';

export interface HttpEnv {
  Variables: {
    requestId: string;
    /** The runtime's body reader, when it has a faster one than the Fetch API. */
    readBody?: (c: Context<HttpEnv>) => ByteSource | undefined;
  };
}

export type HttpApp = Hono<HttpEnv>;
