import type { HttpResponseInit } from '@azure/functions';
import { jsonResponse } from './jsonResponse';

/** Fields of an error answer beside `error`, which they cannot replace. */
export type ErrorDetails = Record<string, unknown> & { error?: never };

/**
 * A request the API refuses, with the status and the `{ error: { code, message } }` body
 * (docs/design.md, "HTTP API"); `details` are fields beside `error` that say more, such as the
 * `runId` of the run in progress.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  details: ErrorDetails = {},
): HttpResponseInit {
  return jsonResponse({ error: { code, message }, ...details }, { status, headers });
}
