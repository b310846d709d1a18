import type { HttpResponseInit } from '@azure/functions';

/**
 * A JSON answer of the API, errors included. What it says (settings, runs, photo state) changes at
 * any moment, so no cache keeps it: `Cache-Control: no-store` on every one.
 */
export function jsonResponse(
  jsonBody: unknown,
  options: { status?: number; headers?: Record<string, string> } = {},
): HttpResponseInit {
  return {
    status: options.status ?? 200,
    headers: { 'Cache-Control': 'no-store', ...options.headers },
    jsonBody,
  };
}
