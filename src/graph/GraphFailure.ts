import { GraphError } from '@microsoft/microsoft-graph-client';
import { permissionDenied, type PhotoError } from '../domain/PhotoError';

/** Graph's ways of saying "this user has no photo" (SPEC §2.2; the last is users without a mailbox). */
const NO_PHOTO_CODES = new Set(['ImageNotFound', 'ErrorItemNotFound', 'Request_ResourceNotFound', 'MailboxNotHostedInExchangeOnline']);

/** Statuses Graph asks to retry after `Retry-After`. */
export const RETRYABLE_STATUSES = new Set([429, 503, 504]);

export type GraphAnswer = { kind: 'noPhoto' } | { kind: 'failed'; error: PhotoError };

/** What a non-2xx Graph answer about a photo means, after any retries were spent. */
export function classifyGraphStatus(status: number, graphCode: string | undefined): GraphAnswer {
  const code = graphCode ?? 'unknown';
  if ((status === 404 || status === 400) && NO_PHOTO_CODES.has(code)) return { kind: 'noPhoto' };
  if (status === 401 || status === 403) return { kind: 'failed', error: permissionDenied(code) };
  if (RETRYABLE_STATUSES.has(status)) {
    return { kind: 'failed', error: { code: 'throttled', message: `Graph kept answering ${status} (${code}) after the retries Retry-After allowed; the next run tries again.` } };
  }
  return { kind: 'failed', error: { code: 'graphError', message: `Graph answered ${status} (${code}).` } };
}

/** A request that never got an answer: timeout, reset connection, cut-off body. */
export function classifyThrown(error: unknown): PhotoError {
  if (error instanceof GraphError && error.statusCode > 0) {
    const answer = classifyGraphStatus(error.statusCode, error.code ?? undefined);
    return answer.kind === 'failed' ? answer.error : { code: 'graphError', message: `Graph answered ${error.statusCode} (${error.code}).` };
  }
  const name = error instanceof Error || error instanceof GraphError ? (error as { code?: string; name: string }).code ?? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'TimeoutError' || name === 'AbortError' || /timeout|aborted/i.test(message)) {
    return { code: 'timeout', message: 'Graph did not answer in time.' };
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return { code: 'networkError', message: `The request to Graph failed (${message}${cause}).` };
}

/** `Retry-After` in seconds or as an HTTP date; absent → undefined. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function graphErrorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: { code?: unknown } }).error;
  return typeof error?.code === 'string' ? error.code : undefined;
}
