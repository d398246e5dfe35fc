/**
 * An in-memory CliIo for running `main(argv, io)` in-process: stdout/stderr are collected as text,
 * stdin is a given string (or an empty, non-TTY stream), env is exactly what the test passes.
 */
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli.js';
import { main } from '../../src/cli.js';

export interface CapturedIo extends CliIo {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

export interface CaptureOptions {
  env?: Record<string, string | undefined>;
  /** Text on standard input; undefined = an empty stream that ends at once. */
  stdin?: string;
  /** Pretend stdin is a terminal (no piped input). */
  stdinIsTTY?: boolean;
  /** Pretend stdout is a terminal (colour may be used). */
  stdoutIsTTY?: boolean;
  /** Pretend stderr is a terminal (live progress is drawn there). */
  stderrIsTTY?: boolean;
}

function collector(isTTY?: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export function captureIo(options: CaptureOptions = {}): CapturedIo {
  const stdout = collector(options.stdoutIsTTY);
  const stderr = collector(options.stderrIsTTY);
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]) as Readable & { isTTY?: boolean };
  if (options.stdinIsTTY) stdin.isTTY = true;
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
    env: { ...(options.env ?? {}) },
    out: stdout.text,
    err: stderr.text,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `main(argv, io)` in-process and returns the exit code and both streams' text. */
export async function runCli(argv: readonly string[], options: CaptureOptions = {}): Promise<CliRun> {
  const io = captureIo(options);
  const code = await main(argv, io);
  // PassThrough emits 'data' synchronously on write in flowing mode; one tick lets late writes land.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { code, stdout: io.out(), stderr: io.err() };
}
