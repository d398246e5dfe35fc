import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as checkToken from './actions/check-token.js';
import * as homeNewDiagnosis from './actions/home-new-diagnosis.js';
import * as rerun from './actions/rerun.js';
import * as jwtcheck from './commands/jwtcheck.js';
import * as appHomeOpened from './events/app-home-opened.js';
import * as messageChannel from './events/message-channel.js';
import * as messageIm from './events/message-im.js';
import * as checkTokenSubmit from './views/check-token-submit.js';
import * as homeDiagnosisSubmit from './views/home-diagnosis-submit.js';

/** One place that lists every Slack surface the app answers. */
export function registerListeners(app: App, deps: SlackDeps): void {
  for (const listener of [jwtcheck, messageIm, messageChannel, rerun, checkToken, checkTokenSubmit, appHomeOpened, homeNewDiagnosis, homeDiagnosisSubmit]) listener.register(app, deps);
}
