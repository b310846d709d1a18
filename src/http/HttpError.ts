import type { HttpResponseInit } from '@azure/functions';
import { jsonResponse } from './jsonResponse';

/**
 * A request the API refuses, with the status and the `{ error: { code, message } }` body
 * (docs/design.md, "HTTP API").
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
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
): HttpResponseInit {
  return jsonResponse({ error: { code, message } }, { status, headers });
}
