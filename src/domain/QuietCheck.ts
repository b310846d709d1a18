import type { PhotoOutcome } from './PhotoOutcome';

/**
 * A check that finds a user's photo as stored writes nothing to their record, not even its outcome
 * (docs/design.md, "A check that changes nothing"): the job's marker says the user was checked, and
 * the outcome follows from the record. So after `added` or `updated` the first `unchanged` costs no
 * write, nor does `noPhoto` after `removed`.
 */

/** Whether a record that says `stored` needs no write when a check's outcome is `checked`. */
export function isQuietCheck(stored: PhotoOutcome | undefined, checked: PhotoOutcome | undefined): boolean {
  if (stored === undefined || checked === undefined || checked === 'failed') return false;
  if (stored === checked) return true;
  if (checked === 'unchanged') return stored === 'added' || stored === 'updated';
  return checked === 'noPhoto' && stored === 'removed';
}

/** The outcome of a check made after the record's last write, which wrote nothing: the photo as stored. */
export function quietOutcome(hasPhoto: boolean): PhotoOutcome {
  return hasPhoto ? 'unchanged' : 'noPhoto';
}

/** The stored outcomes of users whose last check's outcome can be `shown`. */
export function storedOutcomesFor(shown: PhotoOutcome): PhotoOutcome[] {
  if (shown === 'unchanged') return ['added', 'updated', 'unchanged'];
  if (shown === 'noPhoto') return ['noPhoto', 'removed'];
  return [shown];
}
