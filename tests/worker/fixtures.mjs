// Shared by the worker suites: client personas (addresses whose cloud and
// region the real range tables know) and content-addressed test blobs.

import { createHash } from 'node:crypto';

export const PERSONAS = {
  awsEuWest3: '35.180.1.1', // AWS eu-west-3
  awsUsEast2InGlobal: '35.55.34.7', // AWS us-east-2 /24 inside a GLOBAL /17
  awsV6UsWest2: '2600:1f01:4874::47', // AWS us-west-2 (no mirror configured)
  awsMeSouth1Alias: null, // filled per test when needed
  gcp: '35.220.26.1',
  azure: '20.36.32.5', // Azure australiacentral
  unknown: '192.168.0.1',
  // Regions without a mirror in the suites' configurations (and their
  // nearest): us-east-1 (us-east-2, 484 km), eu-west-2 (eu-west-3, 343 km),
  // ap-east-2 (ap-east-1, 811 km), me-south-1 (me-central-1, 483 km).
  awsUsEast1: '44.192.0.9',
  awsEuWest2: '3.2.48.9',
  awsApEast2: '3.5.196.9',
  awsMeSouth1: '3.2.56.9',
  awsCnNorth1: '15.230.41.9', // AWS cn-north-1 (partition aws-cn)
  azureNortheurope: '4.207.0.9',
  azureWesteurope: '4.175.0.9',
  gcpUsEast4: '8.234.2.9',
};

/** A blob with its real sha256 digest. */
export function blob(label) {
  const bytes = Buffer.from(`registry-edge test blob ${label}\n`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
}
