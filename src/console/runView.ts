import { api, OUTCOMES, type Run } from './api.js';
import { byId, fact, h, show, time } from './dom.js';
import { outcomeHeading } from './remedies.js';
import { runParts } from './runParts.js';
import { LIVE_MS } from './runsView.js';

const runPath = (runId: string): string => `runs/${encodeURIComponent(runId)}`;

function jobsDone(jobs: Run['jobs']): string {
  const done =
    jobs.total === null
      ? `${jobs.done} done; the total is known once every user is listed`
      : `${jobs.done} of ${jobs.total} done`;
  return jobs.poisoned ? `${done}, ${jobs.poisoned} failed on every delivery` : done;
}

function facts(run: Run): HTMLElement {
  return h(
    'dl',
    {},
    fact('Run', run.runId),
    fact('Status', runParts.status(run)),
    fact('Trigger', run.trigger),
    fact('Started', time(run.startedAt)),
    fact('Finished', time(run.finishedAt)),
    fact('Last progress', time(run.lastProgressAt)),
    fact('Photo sync', run.photoSyncActive ? 'on' : 'off: core attributes only'),
    fact('Users listed', run.users),
    fact('Users skipped', run.skipped ?? 0),
    fact('Photo jobs', jobsDone(run.jobs)),
    OUTCOMES.flatMap((outcome) => fact(outcomeHeading(outcome), run.photos[outcome])),
    fact('Warnings', runParts.warnings(run)),
    // Photo sync has its own line here: the table's "photo sync was off" note is not an error.
    fact('Error', run.error === null ? '—' : runParts.error(run)),
  );
}

/**
 * One run's own view (`#run/<id>`), in place of the runs table: where a refused start (409) points
 * the admin. It reads the run again every second while it is running.
 */
export class RunView {
  private timer: number | undefined;
  private runId: string | undefined;

  constructor() {
    byId('back-to-runs').addEventListener('click', () => {
      window.location.hash = '#runs-section';
    });
  }

  async open(runId: string): Promise<void> {
    this.close();
    this.runId = runId;
    const details = h('div', {}, h('p', {}, 'Loading…'));
    show(byId('run-page'), h('h3', { id: 'run-heading', tabindex: '-1' }, `Run ${runId}`), details);
    byId('run-heading').focus();
    await this.read(runId, details);
  }

  /** Stops following the run shown, when the page shows something else. */
  close(): void {
    window.clearTimeout(this.timer);
    this.runId = undefined;
  }

  private async read(runId: string, details: HTMLElement): Promise<void> {
    let running = false;
    try {
      const { body: run } = await api.get<Run>(runPath(runId));
      if (this.runId !== runId) return;
      running = run.status === 'running';
      show(details, facts(run));
    } catch (error) {
      if (this.runId !== runId) return;
      show(details, h('p', { class: 'message error', role: 'alert' }, (error as Error).message));
    }
    if (running) this.timer = window.setTimeout(() => void this.read(runId, details), LIVE_MS);
  }
}
