import { JwtcheckError } from '../errors.js';

/**
 * A failed `listen` as one sentence naming the setting that chose the port (HEALTH_PORT, PORT), so the
 * person who started a second process on the same host knows which variable to change. Other errors
 * pass through unchanged.
 */
export function describeListenError(err: unknown, setting: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return new JwtcheckError('config', `${setting} ${port} is already in use by another process on this host (another jwtcheck app or worker?): set ${setting} to a free port.`, { cause: err });
  }
  if (code === 'EACCES') {
    return new JwtcheckError('config', `${setting} ${port} may not be opened by this user (ports below 1024 need privileges): set ${setting} to a port above 1024.`, { cause: err });
  }
  return err;
}
