// A stand-in worker for telling the runtime's answers from registry-edge's:
// a one-line JavaScript worker that answers every fetch event with 418 and
// the method and URL it saw, run by startWorker under the same `wrangler
// dev` (same workerd, same miniflare entry worker) as the real one. A
// request that gets anything but 418 from it was answered before any worker
// code ran, so the same answer from registry-edge is the runtime's too.
//
//   const echo = await startEchoWorker();  ... echo.port ...  await echo.stop();

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from './processes.mjs';
import { startWorker } from './worker.mjs';

export const ECHO_STATUS = 418;

export async function startEchoWorker() {
  const tmp = await makeTempDir('registry-edge-echo-worker-');
  const entry = path.join(tmp.dir, 'echo.js');
  await writeFile(entry, `export default { fetch: (req) => new Response(\`\${req.method} \${req.url}\\n\`, { status: ${ECHO_STATUS} }) };\n`);
  let worker;
  try {
    worker = await startWorker({ entry, vars: {}, logLevel: 'warn' });
  } catch (err) {
    await tmp.remove();
    throw err;
  }
  return {
    ...worker,
    async stop() {
      await worker.stop();
      await tmp.remove();
    },
  };
}
