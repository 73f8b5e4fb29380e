import { runInNewContext } from 'node:vm';
import { CLOUDFRONT_FUNCTIONS } from './aws-facts.js';

type Headers = Record<string, { value: string }>;

export interface ViewerRequestEvent {
  version: '1.0';
  context: Record<string, string>;
  viewer: { ip: string };
  request: {
    method: string;
    uri: string;
    querystring: Record<string, unknown>;
    headers: Headers;
    cookies: Record<string, unknown>;
  };
}

/** A viewer-request event in CloudFront Functions' shape. */
export function viewerRequest(method: string, uri: string, headers: Headers): ViewerRequestEvent {
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
    },
    viewer: { ip: '198.51.100.11' },
    request: {
      method,
      uri,
      querystring: {},
      headers: { host: { value: 'registry.example.com' }, ...headers },
      cookies: {},
    },
  };
}

const matches = (pattern: string, name: string) =>
  pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

/**
 * What CloudFront would refuse with 502 after the function ran: adding a
 * disallowed header, or adding, changing or removing a read-only one
 * (`aws-facts.ts`, from "Restrictions on all edge functions").
 */
export function headerViolations(before: Headers, after: Headers): string[] {
  const violations: string[] = [];
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of names) {
    const changed = JSON.stringify(before[name]) !== JSON.stringify(after[name]);
    if (!changed) continue;
    if (CLOUDFRONT_FUNCTIONS.disallowedHeaders.some((p) => matches(p, name)) && after[name]) {
      violations.push(`adds disallowed header ${name}`);
    }
    if (CLOUDFRONT_FUNCTIONS.readOnlyViewerRequestHeaders.some((p) => matches(p, name))) {
      violations.push(`changes read-only header ${name}`);
    }
  }
  return violations;
}

/**
 * Runs a viewer-request function as CloudFront Functions would, as far as
 * Node can tell: JavaScript runtime 2.0 source whose first line imports the
 * `cloudfront` module, in a context without timers, network or modules,
 * and checked against the documented header restrictions and size quota.
 */
export function runViewerRequest(code: string, event: ViewerRequestEvent) {
  if (Buffer.byteLength(code) > CLOUDFRONT_FUNCTIONS.maxCodeBytes) {
    throw new Error(`function is ${Buffer.byteLength(code)} bytes, over the quota`);
  }
  const importsHelpers = code.startsWith(CLOUDFRONT_FUNCTIONS.firstLine);
  if (code.includes('cf.') && !importsHelpers) {
    throw new Error('the origin helpers need `import cf from ...` as the first line');
  }
  const rest = importsHelpers ? code.split('\n').slice(1) : code.split('\n');
  let selectedOrigin: string | null = null;
  let updatedOrigin: unknown = null;
  const cf = {
    selectRequestOriginById: (id: string) => {
      selectedOrigin = id;
    },
    updateRequestOrigin: (params: unknown) => {
      updatedOrigin = params;
    },
  };
  const before = structuredClone(event.request.headers);
  const handler = runInNewContext(`${rest.join('\n')}\nhandler;`, { cf }) as (
    e: ViewerRequestEvent,
  ) => ViewerRequestEvent['request'];
  const request = handler(structuredClone(event));
  const violations = headerViolations(before, request.headers);
  if (violations.length > 0)
    throw new Error(`CloudFront would answer 502: ${violations.join('; ')}`);
  return { request, selectedOrigin: selectedOrigin as string | null, updatedOrigin };
}
