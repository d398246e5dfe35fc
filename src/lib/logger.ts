import { pino, type Logger } from 'pino';

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

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.?[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer\s+)[^\s"']+/gi;
const SLACK_TOKEN = /xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+/g;

/** Masks anything token-like inside free text (error messages, log lines). */
export function maskSecrets(text: string): string {
  return text.replace(JWT_LIKE, '[jwt redacted]').replace(BEARER, '$1[redacted]').replace(SLACK_TOKEN, '[slack token redacted]');
}

export interface LoggerOptions {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name,
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: {
        // Masks token-like text in the message and in any string argument, whatever the field name.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)) as Parameters<typeof method>,
          );
        },
      },
      formatters: {
        log(object) {
          return maskDeep(object) as Record<string, unknown>;
        },
      },
    },
    (options.destination ?? process.stdout) as pino.DestinationStream,
  );
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === 'string') return maskSecrets(value);
  if (value instanceof Error) return { type: value.name, message: maskSecrets(value.message) };
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, depth + 1)]));
  }
  return value;
}

export type { Logger };
