// s3rver in a process of its own: pgBackRest runs synchronously from the tests at times, and an
// S3 server in the test's event loop would then never answer it. Prints the port once listening.
// argv: directory, port (0 for a free one), key file, certificate file.
import { readFileSync } from 'node:fs';
import S3rver from 's3rver';

const [directory, port, keyFile, certFile, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  key: readFileSync(keyFile),
  cert: readFileSync(certFile),
  configureBuckets: [{ name: bucket }],
});
const { port: listening } = await server.run();
process.stdout.write(`${listening}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
