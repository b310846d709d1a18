import { api, OUTCOMES, type Run } from './api.js';
import { byId, h, show, time } from './dom.js';

const HEADERS: Record<(typeof OUTCOMES)[number], string> = {
  added: 'Added',
  updated: 'Updated',
  unchanged: 'Unchanged',
  removed: 'Removed',
  noPhoto: 'No photo',
  failed: 'Failed',
};

/** How often a run in progress is read again; finished runs are not polled. */
const LIVE_MS = 1_000;
const IDLE_MS = 30_000;

function progress(run: Run): HTMLElement {
  if (run.status !== 'running') return h('span', { class: `status ${run.status}` }, run.status);
  const total = run.jobs.total;
  const label =
    total === null
      ? `running: listing users (${run.users} so far)`
      : `running: ${run.jobs.done} of ${total} photo jobs done`;
  return h(
    'span',
    { class: 'status running' },
    h(
      'progress',
      total === null ? { 'aria-label': label } : { max: total, value: run.jobs.done, 'aria-label': label },
    ),
    ' ',
    label,
  );
}

function row(run: Run): HTMLTableRowElement {
  const warnings = run.warnings ?? [];
  return h(
    'tr',
    { 'data-run-id': run.runId, 'data-status': run.status },
    h('td', {}, progress(run)),
    h('td', {}, run.trigger),
    h('td', {}, time(run.startedAt)),
    h('td', {}, time(run.finishedAt)),
    h('td', { class: 'number' }, run.users),
    OUTCOMES.map((outcome) => h('td', { class: 'number' }, run.photos[outcome])),
    h(
      'td',
      {},
      warnings.length === 0
        ? '—'
        : h(
            'ul',
            {},
            warnings.map((w) =>
              h('li', {}, `${w.code}${w.count === undefined ? '' : ` (${w.count})`}: ${w.message}`),
            ),
          ),
    ),
    h(
      'td',
      {},
      run.error === null
        ? run.photoSyncActive
          ? '—'
          : 'photo sync was off'
        : `${run.error.code}: ${run.error.message}`,
    ),
  );
}

/** The table named Runs, newest first; it reads itself again every second while a run is running. */
export class RunsView {
  private timer: number | undefined;
  private running = new Set<string>();

  /** `onRunFinished`: a run this page saw running has ended (users and health have news). */
  constructor(private readonly onRunFinished: () => void) {
    show(
      byId('runs-head'),
      h(
        'tr',
        {},
        [
          'Status',
          'Trigger',
          'Started',
          'Finished',
          'Users',
          ...OUTCOMES.map((o) => HEADERS[o]),
          'Warnings',
          'Error',
        ].map((label) => h('th', { scope: 'col' }, label)),
      ),
    );
    byId('refresh-runs').addEventListener('click', () => void this.load());
  }

  /** Reads the runs now, then every second while one is running, else every 30 seconds. */
  async load(): Promise<void> {
    window.clearTimeout(this.timer);
    let running = false;
    try {
      const { body } = await api.get<{ runs: Run[] }>('runs?top=20');
      running = body.runs.some((run) => run.status === 'running');
      const finished = body.runs.some((run) => this.running.has(run.runId) && run.status !== 'running');
      this.running = new Set(body.runs.filter((run) => run.status === 'running').map((run) => run.runId));
      if (finished) this.onRunFinished();
      show(
        byId('runs-body'),
        body.runs.length === 0
          ? h('tr', {}, h('td', { colspan: 13 }, 'No run yet: use Save and run.'))
          : body.runs.map(row),
      );
      show(byId('runs-message'), running ? 'A run is in progress; this table updates by itself.' : '');
    } catch (error) {
      show(byId('runs-message'), (error as Error).message);
    }
    this.timer = window.setTimeout(() => void this.load(), running ? LIVE_MS : IDLE_MS);
  }
}
