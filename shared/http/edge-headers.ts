/**
 * The headers the one front door (the CloudFront distribution's viewer
 * function and origins) and the registry behind it agree on. Our own names:
 * CloudFront refuses functions that add `X-Forwarded-Proto`, and API
 * Gateway and load balancers rewrite `X-Forwarded-*` on the way.
 */

/** The host the viewer asked for, written by the viewer-request function on every request. */
export const VIEWER_HOST_HEADER = 'x-berth-viewer-host';

/** The origin secret, added by CloudFront to requests for origins anyone could reach. */
export const ORIGIN_VERIFY_HEADER = 'x-berth-origin-verify';

/** The viewer's address, written by the viewer-request function from CloudFront's own record of it. */
export const VIEWER_ADDRESS_HEADER = 'x-berth-viewer-address';
