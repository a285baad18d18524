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
};

/** A blob with its real sha256 digest. */
export function blob(label) {
  const bytes = Buffer.from(`registry-edge test blob ${label}\n`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
}
