/**
 * Run by test/server-stop.test.ts in its own process: starts a server, freezes its postmaster
 * (SIGSTOP, so SIGINT is never handled), and stops it. stop() must wait out its SIGKILL and the
 * exit; "stopped" is printed only if it does, since an emptied event loop ends the process silently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  initDataDirectory,
  makeServerDirectory,
  removeServerDirectory,
  startServer,
} from '../../tools/postgres/server.ts';

const root = makeServerDirectory('pg-stop-');
try {
  const dataDir = path.join(root, 'data');
  await initDataDirectory({ dataDir, password: 'stop-test' });
  const server = await startServer({ dataDir, stopTimeoutMs: 1_000 });
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(postmaster, 'SIGSTOP');
  await server.stop();
  console.log('stopped');
} finally {
  removeServerDirectory(root);
}
