import { GraphError } from '@microsoft/microsoft-graph-client';
import { authenticationFailed, permissionDenied, type PhotoError } from '../domain/PhotoError';

/**
 * Graph's ways of saying "this user has no photo" (docs/design.md, "Photo jobs"; the last is users
 * without a mailbox).
 */
const NO_PHOTO_CODES = new Set([
  'ImageNotFound',
  'ErrorItemNotFound',
  'Request_ResourceNotFound',
  'MailboxNotHostedInExchangeOnline',
]);

/** Statuses Graph asks to retry after `Retry-After`. */
export const RETRYABLE_STATUSES = new Set([429, 503, 504]);

export type GraphAnswer = { kind: 'noPhoto' } | { kind: 'failed'; error: PhotoError };

/** What a non-2xx Graph answer about a photo means, after any retries were spent. */
export function classifyGraphStatus(status: number, graphCode: string | undefined): GraphAnswer {
  const code = graphCode ?? 'unknown';
  if ((status === 404 || status === 400) && NO_PHOTO_CODES.has(code)) return { kind: 'noPhoto' };
  if (status === 401) return { kind: 'failed', error: authenticationFailed(code) };
  if (status === 403) return { kind: 'failed', error: permissionDenied(code) };
  if (RETRYABLE_STATUSES.has(status)) {
    return {
      kind: 'failed',
      error: {
        code: 'throttled',
        message:
          `Graph kept answering ${status} (${code}) after the retries Retry-After allowed; ` +
          'the next run tries again.',
      },
    };
  }
  return { kind: 'failed', error: { code: 'graphError', message: `Graph answered ${status} (${code}).` } };
}

/** A request that never got an answer: timeout, reset connection, cut-off body. */
export function classifyThrown(error: unknown): PhotoError {
  if (error instanceof GraphError && error.statusCode > 0) {
    const answer = classifyGraphStatus(error.statusCode, error.code ?? undefined);
    return answer.kind === 'failed'
      ? answer.error
      : { code: 'graphError', message: `Graph answered ${error.statusCode} (${error.code}).` };
  }
  // The SDK wraps what fetch threw in a GraphError (statusCode -1): as `body` itself when it does
  // not take it for an Error — one from another realm (a VM context) is not `instanceof Error` —
  // or as its text. So both are read by shape, not by class.
  const inner =
    error instanceof GraphError && typeof error.body === 'object' && error.body !== null
      ? (error.body as unknown)
      : error;
  const { name, code, message } = errorShape(inner);
  const body = error instanceof GraphError && typeof error.body === 'string' ? error.body : '';
  if (
    [name, code].some((value) => value === 'TimeoutError' || value === 'AbortError') ||
    /timeout|aborted/i.test(`${message} ${body}`)
  ) {
    return { code: 'timeout', message: 'Graph did not answer in time.' };
  }
  const cause = errorShape(errorShape(inner).cause);
  const causeText = cause.message || cause.code ? `: ${cause.message || cause.code}` : '';
  return {
    code: 'networkError',
    message: `The request to Graph failed (${message || name || String(inner)}${causeText}).`,
  };
}

function errorShape(value: unknown): { name: string; code: string; message: string; cause: unknown } {
  if (typeof value !== 'object' || value === null)
    return { name: '', code: '', message: '', cause: undefined };
  const { name, code, message, cause } = value as Record<string, unknown>;
  const text = (field: unknown): string => (typeof field === 'string' ? field : '');
  return { name: text(name), code: text(code), message: text(message), cause };
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
