import type { Run } from './api.js';
import { h } from './dom.js';

/** How the runs table and a run's own view show the parts of a run, the same in both. */
export const runParts = {
  /** Its status; a run in progress shows how far it is, as a progress bar and in words. */
  status(run: Run): HTMLElement {
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
  },

  warnings(run: Run): HTMLElement | string {
    const warnings = run.warnings ?? [];
    return warnings.length === 0
      ? '—'
      : h(
          'ul',
          {},
          warnings.map((w) =>
            h('li', {}, `${w.code}${w.count === undefined ? '' : ` (${w.count})`}: ${w.message}`),
          ),
        );
  },

  error(run: Run): string {
    if (run.error !== null) return `${run.error.code}: ${run.error.message}`;
    return run.photoSyncActive ? '—' : 'photo sync was off';
  },
};
