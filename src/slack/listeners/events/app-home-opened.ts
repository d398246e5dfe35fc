/**
 * App Home (`app_home_opened`, Home tab): publishes the user's last diagnoses and, among alert-triggered
 * ones, those the access file would have let this user ask for in that channel. A store that cannot be
 * read still gets a Home with a sentence, never an empty tab.
 */
import type { App } from '@slack/bolt';
import { ALERT_REQUESTER } from '../../../job/job-data.js';
import { HOME_LIMIT, renderHome, type RecentDiagnosis } from '../../../render/home-view.js';
import { checkAccess } from '../../access.js';
import type { SlackDeps } from '../../deps.js';

export function register(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    let view;
    try {
      view = renderHome(await homeEntries(deps, event.user));
    } catch (err) {
      deps.logger.warn({ err, user: event.user }, 'could not read recent diagnoses for App Home');
      view = renderHome([], 'Your recent diagnoses cannot be read right now (the store does not answer); open this tab again in a minute.');
    }
    try {
      await client.views.publish({ user_id: event.user, view });
    } catch (err) {
      deps.logger.error({ err, user: event.user }, 'could not publish App Home');
    }
  });
}

/** The user's own diagnoses and the alert ones they may see, newest first. */
export async function homeEntries(deps: SlackDeps, user: string): Promise<RecentDiagnosis[]> {
  const [own, alerts] = await Promise.all([deps.recent.list(user), deps.recent.list(ALERT_REQUESTER)]);
  const visible = alerts.filter(
    (e) => checkAccess(deps.access, { user, channel: e.channel, isDm: false, namespace: e.target.namespace, cluster: e.target.cluster }).allowed,
  );
  return [...own, ...visible].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, HOME_LIMIT);
}
