// Client personas: addresses whose cloud and region the real range tables
// know (tests/worker/personas.test.mjs checks each against the built worker),
// for every suite that presents a client with CF-Connecting-IP: the worker
// tests, the end-to-end rig, the load mix and the benchmarks.
//
//   import { IP, RIG_PERSONAS } from '../support/personas.mjs';
//   headers: { 'CF-Connecting-IP': IP.awsEuWest3 }

/** The AWS regions with a mirror bucket in the end-to-end rig and the load mix. */
export const MIRROR_REGIONS = ['eu-west-3', 'us-east-2', 'us-west-2'];

/**
 * Every persona once: `cloud` and `region` as the worker names them (null
 * for an address no provider claims). `backend`, on the personas the rig
 * presents (in this order), is where the rig serves their blobs from with
 * every copy healthy: the mirror of a region of MIRROR_REGIONS, 'cdn' or
 * 'upstream'. The comments name, for regions without a mirror in the
 * suites' configurations, the nearest region that has one.
 */
export const PERSONAS = [
  { key: 'awsEuWest3', ip: '35.180.1.1', cloud: 'AWS', region: 'eu-west-3', backend: 'eu-west-3' },
  // A us-east-2 /24 inside a GLOBAL /17: the more specific range wins.
  { key: 'awsUsEast2InGlobal', ip: '35.55.34.7', cloud: 'AWS', region: 'us-east-2', backend: 'us-east-2' },
  // GCP clients go straight to the upstream: no existence check.
  { key: 'gcp', ip: '35.220.26.1', cloud: 'GCP', region: 'europe-north1', backend: 'upstream' },
  { key: 'awsV6UsWest2', ip: '2600:1f01:4874::47', cloud: 'AWS', region: 'us-west-2', backend: 'us-west-2' },
  { key: 'unknown', ip: '192.168.0.1', cloud: null, region: null, backend: 'cdn' },
  // No mirror: the nearest, us-east-2 (484 km).
  { key: 'awsUsEast1', ip: '44.192.0.9', cloud: 'AWS', region: 'us-east-1', backend: 'us-east-2' },
  { key: 'awsV6EuWest3', ip: '2600:1f01:4810::7', cloud: 'AWS', region: 'eu-west-3' },
  { key: 'awsEuWest2', ip: '3.2.48.9', cloud: 'AWS', region: 'eu-west-2' }, // nearest: eu-west-3, 343 km
  { key: 'awsApEast2', ip: '3.5.196.9', cloud: 'AWS', region: 'ap-east-2' }, // nearest: ap-east-1, 811 km
  { key: 'awsMeSouth1', ip: '3.2.56.9', cloud: 'AWS', region: 'me-south-1' }, // nearest: me-central-1, 483 km
  // Partition aws-cn: mirrors of the aws partition are never its nearest.
  { key: 'awsCnNorth1', ip: '15.230.41.9', cloud: 'AWS', region: 'cn-north-1' },
  { key: 'azure', ip: '20.36.32.5', cloud: 'Azure', region: 'australiacentral' },
  { key: 'azureNortheurope', ip: '4.207.0.9', cloud: 'Azure', region: 'northeurope' }, // nearest: westeurope, 756 km
  { key: 'azureWesteurope', ip: '4.175.0.9', cloud: 'Azure', region: 'westeurope' },
  { key: 'gcpUsEast4', ip: '8.234.2.9', cloud: 'GCP', region: 'us-east4' },
].map((p) => Object.freeze({ ...p, where: p.cloud ? `${p.cloud} ${p.region}` : 'unknown client' }));

/** Address by key: `IP.awsEuWest3`. */
export const IP = Object.freeze(Object.fromEntries(PERSONAS.map((p) => [p.key, p.ip])));

/** The personas the end-to-end rig and the load mix present, each with its `backend`. */
export const RIG_PERSONAS = PERSONAS.filter((p) => p.backend);
