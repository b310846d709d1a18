import { api, OUTCOMES, type Run } from './api.js';
import { byId, h, show, time } from './dom.js';
import { outcomeHeading } from './remedies.js';
import { runLink } from './runLink.js';
import { runParts } from './runParts.js';

/** How often a run in progress is read again; finished runs are not polled. */
export const LIVE_MS = 1_000;
const IDLE_MS = 30_000;
const PAGE = 20;

interface RunsPage {
  runs: Run[];
  next: string | null;
}

const newestFirst = (a: Run, b: Run): number =>
  b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId);

function row(run: Run): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-run-id': run.runId, 'data-status': run.status },
    h('td', {}, runParts.status(run)),
    h('td', {}, run.trigger),
    h('td', {}, runLink(run.runId, time(run.startedAt))),
    h('td', {}, time(run.finishedAt)),
    h('td', { class: 'number' }, run.users),
    OUTCOMES.map((outcome) => h('td', { class: 'number' }, run.photos[outcome])),
    h('td', {}, runParts.warnings(run)),
    h('td', {}, runParts.error(run)),
  );
}

/**
 * The table named Runs, newest first; it reads itself again every second while a run is running.
 * More adds the next page of older runs while the API has one.
 */
export class RunsView {
  private timer: number | undefined;
  private running = new Set<string>();
  /** Every run the table shows, by id. */
  private shown = new Map<string, Run>();
  /** The API's token for the page after the last one shown; null: none is left. */
  private next: string | null = null;
  /** Whether More has added a page (the table then holds more than the first page). */
  private paged = false;

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
          ...OUTCOMES.map(outcomeHeading),
          'Warnings',
          'Error',
        ].map((label) => h('th', { scope: 'col' }, label)),
      ),
    );
    byId('refresh-runs').addEventListener('click', () => void this.load());
    byId('more-runs').addEventListener('click', () => void this.more());
  }

  /** Reads the runs now, then every second while one is running, else every 30 seconds. */
  async load(): Promise<void> {
    window.clearTimeout(this.timer);
    let running = false;
    const table = byId('runs');
    // Screen readers (and the browser tests) learn when the table is being read again.
    table.setAttribute('aria-busy', 'true');
    try {
      const { body } = await api.get<RunsPage>(`runs?top=${PAGE}`);
      running = body.runs.some((run) => run.status === 'running');
      const finished = body.runs.some((run) => this.running.has(run.runId) && run.status !== 'running');
      this.running = new Set(body.runs.filter((run) => run.status === 'running').map((run) => run.runId));
      if (finished) this.onRunFinished();
      // Once More has added older pages, the first page read again is merged in by run id rather
      // than replacing the table: a run started since pushes the first page's oldest run onto the
      // second, which the table would otherwise lose; `next` stays that of the last page added.
      // The one run that can be running is the newest, so the first page is enough to follow it.
      if (!this.paged) {
        this.shown.clear();
        this.next = body.next;
      }
      this.render(body.runs);
      show(byId('runs-message'), running ? 'A run is in progress; this table updates by itself.' : '');
    } catch (error) {
      show(byId('runs-message'), (error as Error).message);
    } finally {
      table.removeAttribute('aria-busy');
    }
    this.timer = window.setTimeout(() => void this.load(), running ? LIVE_MS : IDLE_MS);
  }

  /** Adds the next page of older runs. */
  private async more(): Promise<void> {
    if (this.next === null) return;
    const button = byId<HTMLButtonElement>('more-runs');
    button.disabled = true;
    try {
      const query = new URLSearchParams({ top: String(PAGE), next: this.next });
      const { body } = await api.get<RunsPage>(`runs?${query.toString()}`);
      this.next = body.next;
      this.paged = true;
      this.render(body.runs);
    } catch (error) {
      show(byId('runs-message'), (error as Error).message);
    } finally {
      button.disabled = false;
    }
  }

  private render(runs: Run[]): void {
    for (const run of runs) this.shown.set(run.runId, run);
    show(
      byId('runs-body'),
      this.shown.size === 0
        ? h('tr', {}, h('td', { colspan: 13 }, 'No run yet: use Save and run.'))
        : [...this.shown.values()].sort(newestFirst).map(row),
    );
    byId('more-runs').hidden = this.next === null;
  }
}
