import type { ClusterSource } from '../evidence/cluster-source.js';
import type { DocumentFetcher } from '../evidence/document-fetcher.js';
import type { Target } from '../evidence/model.js';
import type { CheckResult } from './check.js';
import type { Report } from './report.js';

export interface DiagnoseProgress {
  done: number;
  total: number;
}

export interface DiagnoseOptions {
  target: Target;
  source: ClusterSource;
  /** Issuer documents; the live guarded fetcher by default. */
  fetcher?: DocumentFetcher;
  /** The raw token, if the user gave one. It goes to src/token only and is never stored in the report. */
  token?: string;
  rootNamespace?: string;
  /** Log tail per container (JWTCHECK_LOG_LINES). */
  logLines?: number;
  fetchTimeoutMs?: number;
  now?: Date;
  /** Called as each check result becomes known (live progress); order is not guaranteed. */
  onResult?: (result: CheckResult, progress: DiagnoseProgress) => void;
  signal?: AbortSignal;
}

export type Diagnose = (options: DiagnoseOptions) => Promise<Report>;
