import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1. There is a small race (another process may take
 * it before we do); good enough for spawning child servers (redis-server) that cannot listen on 0
 * and report back.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}
