import { PHOTO_OUTCOMES } from '../../src/domain/PhotoOutcome';
import type { Run } from '../../src/domain/Run';
import type { FailureGroup } from './failedUsersOfRun';

function duration(run: Run): string {
  if (run.finishedAt === null) return 'unfinished';
  const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
  return seconds < 60
    ? `${seconds.toFixed(1)} s`
    : `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
}

/** The end-of-run table: counts per outcome, users, duration, and why users failed. */
export function formatRunSummary(run: Run, failures: readonly FailureGroup[]): string[] {
  const rows: Array<[string, string]> = [
    ['status', run.status],
    ['photo sync', run.photoSyncActive ? 'active' : 'off (core attributes only)'],
    ['users', String(run.users)],
    ...PHOTO_OUTCOMES.map((outcome): [string, string] => [outcome, String(run.photos[outcome])]),
    [
      'photo jobs',
      `${run.jobs.done}${run.jobs.poisoned > 0 ? ` (${run.jobs.poisoned} failed every delivery)` : ''}`,
    ],
    ['duration', duration(run)],
  ];
  const keyWidth = Math.max(...rows.map(([key]) => key.length));
  const valueWidth = Math.max(...rows.map(([, value]) => (/^\d+$/.test(value) ? value.length : 0)));
  const lines = [`Run ${run.runId} (${run.trigger})`];
  // Numbers right-aligned so the counts read as a column.
  for (const [key, value] of rows)
    lines.push(`  ${key.padEnd(keyWidth)}  ${/^\d+$/.test(value) ? value.padStart(valueWidth) : value}`);
  if (run.error !== null) lines.push(`  error: ${run.error.code}: ${run.error.message}`);
  if (failures.length > 0) {
    lines.push(
      '',
      'Failed users by error code (details: GET /api/users?result=failed, GET /api/users/{userId}/photo/log):',
    );
    const codeWidth = Math.max(...failures.map((group) => group.code.length));
    for (const group of failures) {
      lines.push(`  ${group.code.padEnd(codeWidth)}  ${String(group.users).padStart(5)}  ${group.message}`);
      lines.push(`  ${''.padEnd(codeWidth)}         e.g. ${group.examples.join(', ')}`);
    }
  }
  return lines;
}
