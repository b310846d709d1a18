import type { z } from 'zod';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A queue message checked against its schema. The Functions runtime hands over JSON messages
 * already parsed; other hosts may pass text.
 */
export function parseMessage<S extends z.ZodType, T>(
  schema: S,
  message: unknown,
  map: (value: z.infer<S>) => T,
): ParseResult<T> {
  let value = message;
  if (typeof message === 'string') {
    try {
      value = JSON.parse(message);
    } catch {
      return { ok: false, reason: 'message is not JSON' };
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `${where}${issue.message}` };
  }
  return { ok: true, value: map(parsed.data) };
}
