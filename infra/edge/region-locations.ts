/**
 * Where each AWS region's data centres are, roughly (the metro area), so the
 * front door can send a viewer's uploads to the nearest region. A region
 * missing here cannot be deployed to until it is added.
 */
export const REGION_LOCATIONS: Readonly<Record<string, { latitude: number; longitude: number }>> = {
  'us-east-1': { latitude: 38.9, longitude: -77.4 },
  'us-east-2': { latitude: 40.0, longitude: -83.0 },
  'us-west-1': { latitude: 37.4, longitude: -121.9 },
  'us-west-2': { latitude: 45.8, longitude: -119.7 },
  'ca-central-1': { latitude: 45.5, longitude: -73.6 },
  'ca-west-1': { latitude: 51.0, longitude: -114.1 },
  'mx-central-1': { latitude: 20.6, longitude: -100.4 },
  'sa-east-1': { latitude: -23.5, longitude: -46.6 },
  'eu-west-1': { latitude: 53.3, longitude: -6.3 },
  'eu-west-2': { latitude: 51.5, longitude: -0.1 },
  'eu-west-3': { latitude: 48.9, longitude: 2.4 },
  'eu-central-1': { latitude: 50.1, longitude: 8.7 },
  'eu-central-2': { latitude: 47.4, longitude: 8.5 },
  'eu-north-1': { latitude: 59.3, longitude: 18.1 },
  'eu-south-1': { latitude: 45.5, longitude: 9.2 },
  'eu-south-2': { latitude: 41.6, longitude: -0.9 },
  'il-central-1': { latitude: 32.1, longitude: 34.8 },
  'me-south-1': { latitude: 26.1, longitude: 50.6 },
  'me-central-1': { latitude: 25.2, longitude: 55.3 },
  'af-south-1': { latitude: -33.9, longitude: 18.4 },
  'ap-south-1': { latitude: 19.1, longitude: 72.9 },
  'ap-south-2': { latitude: 17.4, longitude: 78.5 },
  'ap-east-1': { latitude: 22.3, longitude: 114.2 },
  'ap-southeast-1': { latitude: 1.35, longitude: 103.8 },
  'ap-southeast-2': { latitude: -33.9, longitude: 151.2 },
  'ap-southeast-3': { latitude: -6.2, longitude: 106.8 },
  'ap-southeast-4': { latitude: -37.8, longitude: 145.0 },
  'ap-northeast-1': { latitude: 35.7, longitude: 139.7 },
  'ap-northeast-2': { latitude: 37.6, longitude: 127.0 },
  'ap-northeast-3': { latitude: 34.7, longitude: 135.5 },
};
