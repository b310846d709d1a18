import { z } from 'zod';

/**
 * Where a consumer of the change feed stands: the sequence number of the last change it was given
 * (0 before the first), and when the API handed the cursor out. Opaque to consumers.
 */
export interface ChangeCursor {
  seq: number;
  issuedAt: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
const payload = z.strictObject({
  v: z.literal(1),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  at: z.number().int().positive(),
});

export function encodeChangeCursor(cursor: ChangeCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, seq: cursor.seq, at: cursor.issuedAt.getTime() })).toString(
    'base64url',
  );
}

/** The cursor a token stands for; undefined for anything the API did not hand out. */
export function decodeChangeCursor(token: string): ChangeCursor | undefined {
  if (!TOKEN.test(token)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const result = payload.safeParse(parsed);
  return result.success ? { seq: result.data.seq, issuedAt: new Date(result.data.at) } : undefined;
}

/** What a cursor lets the feed answer. */
export type CursorStanding =
  | { kind: 'current' }
  /** Older than the feed keeps changes: what came after it may be gone. */
  | { kind: 'expired' }
  /** Changes after it were deleted, or it is past the end (a feed that was reset): either way, some would be missed. */
  | { kind: 'lost' };

/**
 * Whether a consumer following `cursor` would see every change: a cursor older than the history
 * kept has expired, whatever pruning has done so far (so the answer does not depend on how far it
 * got); and sequence numbers have no gaps, so a first change after it that is not `seq + 1`, or
 * an end of the feed before it, means changes it has not seen are gone.
 */
export function cursorStanding(
  cursor: ChangeCursor,
  page: { firstSeq?: number; last?: number },
  now: Date,
  historyDays: number,
): CursorStanding {
  if (now.getTime() - cursor.issuedAt.getTime() > historyDays * DAY_MS) return { kind: 'expired' };
  if (page.firstSeq !== undefined)
    return page.firstSeq === cursor.seq + 1 ? { kind: 'current' } : { kind: 'lost' };
  if (page.last !== undefined && page.last !== cursor.seq) return { kind: 'lost' };
  return { kind: 'current' };
}
