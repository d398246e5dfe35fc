/** Alertmanager's webhook payload (v4) read as input: what is diagnosed, where, and what is refused. */
import { alertKey, parseWebhook, planAlert, type WebhookAlert } from '../../src/slack/alerts/payload.js';
import { validateJobData } from '../../src/job/job-data.js';
import { loadConfig } from '../../src/config.js';

const alert = (labels: Record<string, string>, extra: Partial<WebhookAlert> = {}): WebhookAlert => ({
  status: 'firing',
  labels: { alertname: 'IstioJwtAuthFailures', ...labels },
  annotations: { summary: 'refusals' },
  startsAt: '2026-11-29T14:04:00Z',
  fingerprint: 'c0ffee0123456789',
  ...extra,
});

describe('parseWebhook', () => {
  it('accepts version 4 and refuses other versions and broken alerts', () => {
    expect(parseWebhook({ version: '4', alerts: [{ status: 'firing', labels: { a: 'b', n: 1 } }] })).toEqual({ ok: true, alerts: [{ status: 'firing', labels: { a: 'b' }, annotations: {} }] });
    expect(parseWebhook({ version: '3', alerts: [] })).toMatchObject({ ok: false, problem: expect.stringContaining('not 4') });
    expect(parseWebhook({ version: '4', alerts: [{ status: 'pending' }] })).toMatchObject({ ok: false, problem: expect.stringContaining('firing or resolved') });
    expect(parseWebhook([])).toMatchObject({ ok: false });
  });
});

describe('planAlert', () => {
  it('prefers Istio destination_service_* labels, then destination_workload_*, then service + namespace', () => {
    const both = planAlert(alert({ destination_service_name: 'httpbin', destination_service_namespace: 'foo', service: 'other', namespace: 'bar', jwtcheck_channel: 'C0ONE' }), undefined);
    expect(both).toMatchObject({ ok: true, target: { service: 'httpbin', namespace: 'foo', cluster: 'default' }, channel: 'C0ONE' });
    expect(planAlert(alert({ destination_workload: 'reviews', destination_workload_namespace: 'bookinfo' }), 'C0DEF')).toMatchObject({ target: { service: 'reviews', namespace: 'bookinfo' }, channel: 'C0DEF' });
    expect(planAlert(alert({ service: 'httpbin', namespace: 'foo', cluster: 'prod-eu' }), 'C0DEF')).toMatchObject({ target: { cluster: 'prod-eu' } });
  });

  it('ignores Istio\'s "unknown", names that are not DNS labels, a bad cluster and a missing or bad channel', () => {
    expect(planAlert(alert({ destination_service_name: 'unknown', destination_service_namespace: 'foo' }), 'C0DEF')).toMatchObject({ ok: false, reason: expect.stringContaining('no usable target') });
    expect(planAlert(alert({ service: 'Bad_Name', namespace: 'foo' }), 'C0DEF')).toMatchObject({ ok: false });
    expect(planAlert(alert({ service: 'httpbin', namespace: 'foo', cluster: 'a:b' }), 'C0DEF')).toMatchObject({ ok: false, reason: expect.stringContaining('cluster') });
    expect(planAlert(alert({ service: 'httpbin', namespace: 'foo' }), undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('JWTCHECK_ALERT_CHANNEL') });
    expect(planAlert(alert({ service: 'httpbin', namespace: 'foo', jwtcheck_channel: '#incidents' }), undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('channel id') });
  });

  it('keys an incident by fingerprint and start; a re-fire after resolving is a new incident', () => {
    const a = alert({ service: 'httpbin', namespace: 'foo' });
    expect(alertKey(a)).toBe(`c0ffee0123456789:${Date.parse('2026-11-29T14:04:00Z')}`);
    expect(alertKey({ ...a, startsAt: '2026-11-29T16:00:00Z' })).not.toBe(alertKey(a));
    // Without a fingerprint (or a strange one), the labels are hashed: same labels, same key.
    expect(alertKey({ ...a, fingerprint: 'x y' })).toBe(alertKey({ ...a, fingerprint: undefined }));
  });
});

describe('job data and configuration', () => {
  const base = { target: { service: 'httpbin', namespace: 'foo', cluster: 'default' }, requestedBy: { team: 'alertmanager', user: 'alertmanager', channel: 'C0ONE' }, replyTo: { channel: 'C0ONE', threadTs: '1700000000.000100' } };
  it('accepts the optional source and alert fields and refuses bad ones', () => {
    expect(validateJobData({ ...base, source: 'alert', alert: { name: 'IstioJwtAuthFailures', summary: 'x' } }).ok).toBe(true);
    expect(validateJobData(base).ok).toBe(true);
    expect(validateJobData({ ...base, source: 'email' })).toMatchObject({ ok: false, problems: [expect.stringContaining('source')] });
    expect(validateJobData({ ...base, alert: { name: '', extra: 1 } })).toMatchObject({ ok: false, problems: [expect.stringContaining('alert.name'), expect.stringContaining('alert.extra')] });
  });

  it('reads JWTCHECK_ALERT_REFRESH like 30m or 1h, defaults to 30 min, and names a bad value', () => {
    expect(loadConfig({}).alerts.refreshMs).toBe(30 * 60_000);
    expect(loadConfig({ JWTCHECK_ALERT_REFRESH: '1h' }).alerts.refreshMs).toBe(3_600_000);
    expect(loadConfig({ JWTCHECK_ALERT_REFRESH: '1h30m' }).alerts.refreshMs).toBe(5_400_000);
    expect(() => loadConfig({ JWTCHECK_ALERT_REFRESH: 'soon' })).toThrow(/JWTCHECK_ALERT_REFRESH must be a duration such as 30m/);
    expect(() => loadConfig({ JWTCHECK_ALERT_CHANNEL: '#incidents' })).toThrow(/JWTCHECK_ALERT_CHANNEL must be a Slack channel id/);
  });
});
