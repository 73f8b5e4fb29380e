import type { z } from '@hono/zod-openapi';
import { accessError } from '../../errors/access-error.js';
import { QuayErrorSchema } from './schemas.js';

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});

const error = (description: string) => json(QuayErrorSchema, description);

/** The failures every authenticated endpoint may answer with. */
export const ERRORS = {
  400: error('bad request: invalid input, or a rule it breaks'),
  401: error('missing or invalid credentials'),
  403: error('not allowed'),
  404: error('not found, or not visible to the caller'),
} as const;

export const noContent = { description: 'done' };

/** The `namespace/repository` a route's path names (after its schema has checked both). */
export const repositoryName = (c: { req: { param: (key: string) => string | undefined } }) =>
  `${c.req.param('namespace')!}/${c.req.param('repository')!}`;

/** Opaque paging tokens, as Quay's `next_page`. */
export const encodePage = (value: string | number) =>
  Buffer.from(String(value), 'utf8').toString('base64url');
export function decodePage(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const position = Buffer.from(token, 'base64url').toString('utf8');
  // Only a token this API wrote is a position; NUL would reach the database.
  if (position.includes('\0') || encodePage(position) !== token.replace(/=+$/, '')) {
    throw accessError('invalid_request', 'next_page is not a page token from this API');
  }
  return position;
}
