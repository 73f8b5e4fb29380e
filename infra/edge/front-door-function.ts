import {
  ORIGIN_VERIFY_HEADER,
  VIEWER_ADDRESS_HEADER,
  VIEWER_HOST_HEADER,
} from '../../shared/http/edge-headers.js';
import { SESSION_LOCATION_PARAM } from '../../shared/http/v2/paths.js';
import { REGION_LOCATIONS } from './region-locations.js';

/** A region's upload data plane, as the distribution names it. */
export interface DataPlaneOrigin {
  region: string;
  /** The origin's id in the distribution, which the function selects by. */
  originId: string;
}

/** Upload sessions: the data plane takes them, whatever the method. */
export const UPLOAD_PATH = /^\/v2\/.+\/blobs\/uploads/;
/** Blob reads, which the data plane streams in storage proxy mode. */
export const BLOB_PATH = /^\/v2\/.+\/blobs\/[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * The viewer-request function of the one global distribution (CloudFront
 * Functions, JavaScript runtime 2.0). On every request it writes the
 * viewer's host into `x-berth-viewer-host`: CloudFront replaces Host, and a
 * function may not add `X-Forwarded-Proto` (CloudFront would answer 502);
 * viewers come over HTTPS only, so the host is all the origin needs to name
 * token realms; and the viewer's address into `x-berth-viewer-address`. A
 * blob upload (and, with `blobReads`, a blob read) is sent to the data plane
 * of the region nearest the viewer, by great-circle distance from
 * `CloudFront-Viewer-Latitude/Longitude`, or of the first region without a
 * location. An upload session's requests go where its URL says it lives
 * (`_location`, which a data plane adds): there when a region whose storage
 * is down handed the upload to the next, and there even if the viewer's
 * nearest region changes mid-push. Blob reads reach the nearest region so
 * that its data plane redirects to its own region's copy. Everything else
 * stays on the first region's functions, next to the database every
 * request reads.
 */
export function frontDoorFunctionCode(
  dataPlanes: DataPlaneOrigin[],
  { blobReads }: { blobReads: boolean },
): string {
  const table = dataPlanes.map((d) => {
    const location = REGION_LOCATIONS[d.region];
    if (!location) throw new Error(`no location known for region ${d.region}`);
    return {
      region: d.region,
      id: d.originId,
      latitude: location.latitude,
      longitude: location.longitude,
    };
  });
  return `import cf from 'cloudfront';

var DATA_PLANES = ${JSON.stringify(table)};
var UPLOADS = ${UPLOAD_PATH.toString()};
var BLOBS = ${blobReads ? BLOB_PATH.toString() : 'null'};

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
  if (isNaN(latitude) || isNaN(longitude)) return DATA_PLANES[0];
  var best = DATA_PLANES[0];
  for (var i = 1; i < DATA_PLANES.length; i++) {
    if (distance(DATA_PLANES[i], latitude, longitude) < distance(best, latitude, longitude)) {
      best = DATA_PLANES[i];
    }
  }
  return best;
}

function named(querystring) {
  var param = querystring['${SESSION_LOCATION_PARAM}'];
  if (!param) return null;
  for (var i = 0; i < DATA_PLANES.length; i++) {
    if (DATA_PLANES[i].region === param.value) return DATA_PLANES[i];
  }
  return null;
}

function handler(event) {
  var request = event.request;
  request.headers['${VIEWER_HOST_HEADER}'] = { value: request.headers.host.value };
  // Replaces any the viewer sent: login throttling counts guesses by this address.
  request.headers['${VIEWER_ADDRESS_HEADER}'] = { value: event.viewer.ip };
  // Never the viewer's: CloudFront adds its own to the origins that check it.
  delete request.headers['${ORIGIN_VERIFY_HEADER}'];
  if (UPLOADS.test(request.uri)) {
    cf.selectRequestOriginById((named(request.querystring) || nearest(request.headers)).id);
  } else if (BLOBS && BLOBS.test(request.uri)) {
    cf.selectRequestOriginById(nearest(request.headers).id);
  }
  return request;
}
`;
}
