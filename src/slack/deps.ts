import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../metrics.js';
import type { DiagnosisDispatcher, TokenStash } from '../queue/dispatcher.js';
import type { RecentDiagnoses } from '../store/recent-diagnoses.js';
import type { AccessPolicy } from './access.js';
import type { BotDmCheck } from './bot-dm.js';

/** What every listener may use. Built once in app.ts. */
export interface SlackDeps {
  /** undefined: no JWTCHECK_ACCESS_FILE, everything allowed. */
  access: AccessPolicy | undefined;
  /** Is this channel the bot's own DM with this user (the access file's "dm")? */
  isBotDm: BotDmCheck;
  dispatcher: DiagnosisDispatcher;
  stash: TokenStash;
  /** App Home's list: every finished diagnosis, per user (alerts under `alertmanager`). */
  recent: RecentDiagnoses;
  /** Seals tokens before they leave the handler (job data, stash). */
  encryptionKey: Buffer;
  logger: Logger;
  metrics?: Metrics;
  now?: () => Date;
}
