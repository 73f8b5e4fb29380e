import { describe, expect, it } from 'vitest';
import { consoleFunctionCode } from '../../infra/edge/console-function.js';
import { CLOUDFRONT_STATIC_CONSOLE } from './aws-facts.js';
import { runViewerRequest, viewerRequest } from './cloudfront-function-runtime.js';

describe("the console behavior's function", () => {
  const code = consoleFunctionCode();
  const uriFor = (path: string) =>
    (runViewerRequest(code, viewerRequest('GET', path, {})).request as { uri: string }).uri;

  it('answers every page of the console with index.html, which routes it in the browser', () => {
    // `CloudFront Functions event structure`: a new uri keeps the behavior's origin, the bucket.
    expect(CLOUDFRONT_STATIC_CONSOLE.uriRewriteKeepsOrigin).toBe(true);
    for (const page of [
      '/',
      '/repository',
      '/repository/acme/web',
      '/organization/acme',
      '/authorize',
    ]) {
      expect(uriFor(page), page).toBe('/index.html');
    }
  });

  it('leaves the build’s files alone', () => {
    for (const file of [
      '/assets/index-C9n9L0I0.js',
      '/assets/RedHatText.woff2',
      '/index.html',
      '/favicon.ico',
    ]) {
      expect(uriFor(file), file).toBe(file);
    }
  });

  it('fits CloudFront Functions: no origin helper, no header changes, under the size quota', () => {
    const { selectedOrigin, updatedOrigin } = runViewerRequest(
      code,
      viewerRequest('GET', '/x', {}),
    );
    expect(selectedOrigin).toBeNull();
    expect(updatedOrigin).toBeNull();
  });
});
