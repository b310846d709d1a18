import { z } from 'zod';

/**
 * What `@azure/data-tables` puts in a page's `continuationToken`: base64 of JSON naming where the
 * next page starts. The keys' own text differs between Azure and Azurite, so only the shape is
 * checked: a token that passes is one this kind of store hands out, and a foreign or forged one is
 * refused instead of silently starting again at page one.
 */
const continuationSchema = z.strictObject({
  nextPartitionKey: z.string().min(1).max(1024),
  nextRowKey: z.string().min(1).max(1024).optional(),
});

const MAX_TOKEN_LENGTH = 4096;

export function isContinuationToken(text: string): boolean {
  if (text.length === 0 || text.length > MAX_TOKEN_LENGTH) return false;
  const bytes = Buffer.from(text, 'base64');
  // Node's decoder skips what is not base64: only a token that encodes back to itself is one.
  if (bytes.toString('base64') !== text) return false;
  let decoded: unknown;
  try {
    decoded = JSON.parse(bytes.toString('utf8'));
  } catch {
    return false;
  }
  return continuationSchema.safeParse(decoded).success;
}
