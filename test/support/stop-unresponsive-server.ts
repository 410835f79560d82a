/**
 * Run by test/server-stop.test.ts in its own process: starts a server, freezes its postmaster
 * (SIGSTOP, so SIGINT is never handled), and stops it. stop() must wait out its SIGKILL and the
 * exit; "stopped" is printed only if it does, since an emptied event loop ends the process silently.
 */
import path from 'node:path';
import { startTestServer } from '../../tools/postgres/server.ts';
import { postmasterPid } from './processes.ts';

const server = await startTestServer({ stopTimeoutMs: 1_000 });
process.kill(postmasterPid(path.join(server.dataDir, 'postmaster.pid'))!, 'SIGSTOP');
await server.stop();
console.log('stopped');
