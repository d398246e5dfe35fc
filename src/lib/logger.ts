import { pino, type Logger } from 'pino';
import { maskSecrets } from './redact.js';
import { logFormat, prettyDestination } from './pretty-log.js';

/**
 * The one logger. Redaction lives here, in the logger itself, so that no call site has to remember it:
 * any field named like a secret is censored, and any string that looks like a JWT is masked.
 */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'rawToken',
  '*.rawToken',
  'sealedToken',
  '*.sealedToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'signingSecret',
  '*.signingSecret',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'encryptionKey',
  '*.encryptionKey',
  'text',
  '*.text',
];

export { maskSecrets };

export interface LoggerOptions {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
  /** `json` or `pretty`; default LOG_FORMAT, else pretty when the destination is a terminal. */
  format?: 'json' | 'pretty';
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stdout;
  const format = options.format ?? logFormat(process.env, destination);
  return pino(
    {
      name,
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: {
        // Masks token-like text in the message and in any string argument, whatever the field name.
        logMethod(args, method) {
          const masked: unknown[] = args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a));
          // logger.error(err) alone: pino would copy err.message into msg unmasked, after this hook.
          const [first] = masked;
          if (first instanceof Error && typeof masked[1] !== 'string') masked.splice(1, 0, maskSecrets(first.message));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          return maskDeep(object) as Record<string, unknown>;
        },
      },
    },
    (format === 'pretty' ? prettyDestination(destination) : destination) as pino.DestinationStream,
  );
}

/** Field names whose values are secrets at any depth (the path list above only reaches one level). */
const SECRET_KEYS = new Set(
  ['token', 'rawtoken', 'sealedtoken', 'authorization', 'signingsecret', 'bottoken', 'apptoken', 'encryptionkey', 'jobencryptionkey', 'password', 'secret'],
);
const MAX_MASK_DEPTH = 8;

function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > MAX_MASK_DEPTH) return '[too deep]';
  if (typeof value === 'string') return maskSecrets(value);
  if (value instanceof Error) return { type: value.name, message: maskSecrets(value.message) };
  if (Buffer.isBuffer(value)) return '[binary]';
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k.toLowerCase()) && v !== undefined ? '[redacted]' : maskDeep(v, depth + 1)]),
    );
  }
  return value;
}

export type { Logger };
