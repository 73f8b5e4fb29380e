/** The console's own files; every other path it is asked for is one of its pages. */
export const CONSOLE_FILE = /^\/assets\/|\.[A-Za-z0-9]+$/;

/**
 * The viewer-request function of the console's behavior (CloudFront
 * Functions, runtime 2.0): a page of the console (`/repository/acme/web`)
 * is `index.html`, which routes it in the browser; files are themselves.
 * Changing `uri` keeps the request on the console's bucket, so a page view
 * costs a CloudFront Function run and an S3 read, never a Lambda.
 */
export function consoleFunctionCode(): string {
  return `var FILE = ${CONSOLE_FILE.toString()};

function handler(event) {
  var request = event.request;
  if (!FILE.test(request.uri)) request.uri = '/index.html';
  return request;
}
`;
}
