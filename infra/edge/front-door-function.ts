import { REGION_LOCATIONS } from './region-locations.js';

/** The header the data plane's load balancer requires: only CloudFront knows each region's value. */
export const ORIGIN_VERIFY_HEADER = 'x-berth-origin-verify';

/** A region's upload data plane as the front door sees it (values may be CDK tokens). */
export interface UploadTarget {
  region: string;
  /** The region's load balancer. */
  domainName: string;
  /** The value its listener checks in `ORIGIN_VERIFY_HEADER`. */
  originSecret: string;
}

/**
 * The viewer-request function of the one global distribution (CloudFront
 * Functions, JavaScript runtime 2.0). On every request it passes the
 * viewer's host on as `X-Forwarded-Host`, since CloudFront replaces `Host`
 * and token realms must name the host clients use. On a blob upload it
 * also picks the data plane of the region nearest the viewer (great-circle
 * distance from `CloudFront-Viewer-Latitude/Longitude`), so layer bytes
 * travel the shortest way into that region's bucket; without a location it
 * keeps the first region. One viewer always reaches the same region, which
 * keeps an upload session's requests together. Everything else stays on the
 * first region's API, next to the database every request reads.
 */
export function frontDoorFunctionCode(uploadPath: RegExp, targets: UploadTarget[]): string {
  const table = targets.map((t) => {
    const location = REGION_LOCATIONS[t.region];
    if (!location) throw new Error(`no location known for region ${t.region}`);
    return { ...location, domainName: t.domainName, secret: t.originSecret };
  });
  return `import cf from 'cloudfront';

var TARGETS = ${JSON.stringify(table)};
var UPLOADS = ${uploadPath.toString()};

function radians(degrees) {
  return (degrees * Math.PI) / 180;
}

function distance(a, latitude, longitude) {
  var dLat = radians(latitude - a.latitude);
  var dLon = radians(longitude - a.longitude);
  var h =
    Math.sin(dLat / 2) * Math.sin(dLat / 2) +
    Math.cos(radians(a.latitude)) * Math.cos(radians(latitude)) *
      Math.sin(dLon / 2) * Math.sin(dLon / 2);
  return Math.atan2(Math.sqrt(h), Math.sqrt(1 - h));
}

function nearest(headers) {
  var lat = headers['cloudfront-viewer-latitude'];
  var lon = headers['cloudfront-viewer-longitude'];
  var latitude = lat ? parseFloat(lat.value) : NaN;
  var longitude = lon ? parseFloat(lon.value) : NaN;
  if (isNaN(latitude) || isNaN(longitude)) return TARGETS[0];
  var best = TARGETS[0];
  for (var i = 1; i < TARGETS.length; i++) {
    if (distance(TARGETS[i], latitude, longitude) < distance(best, latitude, longitude)) {
      best = TARGETS[i];
    }
  }
  return best;
}

function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  request.headers['x-forwarded-proto'] = { value: 'https' };
  // Never the viewer's: a header CloudFront sets on the origin request must not arrive with it.
  delete request.headers['${ORIGIN_VERIFY_HEADER}'];
  if (UPLOADS.test(request.uri)) {
    var target = nearest(request.headers);
    var headers = {};
    headers['${ORIGIN_VERIFY_HEADER}'] = target.secret;
    cf.updateRequestOrigin({ domainName: target.domainName, customHeaders: headers });
  }
  return request;
}
`;
}
