import { api, ApiError, type Health, type SettingsHistory, type User } from './api.js';
import { byId, h, show, time } from './dom.js';
import { remedyFor } from './remedies.js';

const PERMISSION_CODES = ['permissionDenied', 'authenticationFailed'];

const yesNo = (ok: boolean | undefined): HTMLElement =>
  ok === undefined
    ? h('span', {}, 'unknown')
    : h('span', { class: ok ? 'ok' : 'bad' }, ok ? 'reachable' : 'not reachable');

const valueText = (value: unknown): string =>
  value === true ? 'on' : value === false ? 'off' : value === null ? 'none' : String(value);

/** Troubleshooting at a glance: health, permission problems, the next run, who changed what. */
export class HealthView {
  async load(): Promise<void> {
    await Promise.all([this.health(), this.permissions(), this.history()]);
  }

  private async health(): Promise<void> {
    let health: Health | undefined;
    try {
      health = (await api.get<Health>('health')).body;
    } catch (error) {
      // 503 still tells which part is down.
      health = error instanceof ApiError ? (error.body as Health | undefined) : undefined;
    }
    const problem = health?.graph.problem ?? null;
    show(
      byId('health-facts'),
      h('dt', {}, 'Storage'),
      h('dd', {}, yesNo(health?.storage.reachable)),
      h('dt', {}, 'Microsoft Graph'),
      h(
        'dd',
        {},
        yesNo(health?.graph.reachable),
        problem === null ? '' : ` — ${problem.code}: ${problem.message} ${remedyFor(problem.code)}`,
      ),
      h('dt', {}, 'Next scheduled run'),
      h(
        'dd',
        {},
        health?.schedule === undefined
          ? 'unknown'
          : h('span', {}, time(health.schedule.nextRunAt), ` (schedule ${health.schedule.expression}, UTC)`),
      ),
    );
  }

  /** Users whose last photo check failed for a permission: the fix is the same for all of them. */
  private async permissions(): Promise<void> {
    const element = byId('permission-problems');
    try {
      const { body } = await api.get<{ users: User[]; next: string | null }>('users?result=failed&top=500');
      const byCode = new Map<string, number>();
      for (const user of body.users) {
        const code = user.photo.lastError?.code;
        if (code !== undefined && PERMISSION_CODES.includes(code))
          byCode.set(code, (byCode.get(code) ?? 0) + 1);
      }
      if (byCode.size === 0)
        return show(element, h('p', {}, 'None: no user failed for a permission in their last check.'));
      show(
        element,
        h(
          'ul',
          {},
          [...byCode].map(([code, count]) =>
            h(
              'li',
              { class: 'bad' },
              `${count}${body.next === null ? '' : '+'} user${count === 1 ? '' : 's'} failed with ${code}. ${remedyFor(code)}`,
            ),
          ),
        ),
      );
    } catch (error) {
      show(element, h('p', {}, (error as Error).message));
    }
  }

  private async history(): Promise<void> {
    const section = byId('settings-history');
    try {
      const { body } = await api.get<SettingsHistory>('settings/history?top=20');
      section.hidden = false;
      show(
        byId('history-body'),
        body.changes.length === 0
          ? h('tr', {}, h('td', { colspan: 3 }, 'No change yet.'))
          : body.changes.map((change) =>
              h(
                'tr',
                {},
                h('td', {}, time(change.at)),
                h('td', {}, change.by ?? 'unknown'),
                h(
                  'td',
                  {},
                  Object.entries(change.changes)
                    .map(([key, { from, to }]) => `${key}: ${valueText(from)} → ${valueText(to)}`)
                    .join('; '),
                ),
              ),
            ),
      );
    } catch (error) {
      // An app without the history route (404) shows no history section.
      section.hidden = !(error instanceof ApiError) || error.status === 404;
      if (!section.hidden)
        show(byId('history-body'), h('tr', {}, h('td', { colspan: 3 }, (error as Error).message)));
    }
  }
}
