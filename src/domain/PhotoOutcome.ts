/** What a photo job did for one user: the product's vocabulary in code, logs, API and docs. */
export const PHOTO_OUTCOMES = ['added', 'updated', 'unchanged', 'removed', 'noPhoto', 'failed'] as const;

export type PhotoOutcome = (typeof PHOTO_OUTCOMES)[number];

export type OutcomeCounts = Record<PhotoOutcome, number>;

export function isPhotoOutcome(value: unknown): value is PhotoOutcome {
  return typeof value === 'string' && (PHOTO_OUTCOMES as readonly string[]).includes(value);
}

export function emptyCounts(): OutcomeCounts {
  return { added: 0, updated: 0, unchanged: 0, removed: 0, noPhoto: 0, failed: 0 };
}

export function countOutcomes(outcomes: Iterable<PhotoOutcome>): OutcomeCounts {
  const counts = emptyCounts();
  for (const outcome of outcomes) counts[outcome] += 1;
  return counts;
}

export function addCounts(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  const sum = emptyCounts();
  for (const outcome of PHOTO_OUTCOMES) sum[outcome] = a[outcome] + b[outcome];
  return sum;
}

export function totalOf(counts: OutcomeCounts): number {
  return PHOTO_OUTCOMES.reduce((total, outcome) => total + counts[outcome], 0);
}
