import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** What the simulator answers, before it is written to a socket or into a batch response. */
export interface GraphAnswer {
  status: number;
  headers: Record<string, string>;
  json?: unknown;
  bytes?: Buffer;
  /** Seconds; the resource's early-request deadline starts when the answer is sent. */
  retryAfter?: number;
  resourceKey?: string;
  stallMs?: number;
  sabotage?: 'reset' | 'truncate';
}

const JSON_TYPE = 'application/json';

export function jsonAnswer(status: number, json: unknown): GraphAnswer {
  return { status, headers: { 'Content-Type': JSON_TYPE }, json };
}

/** Graph's error shape, with `Retry-After` when given. */
export function graphError(status: number, code: string, message: string, retryAfter?: number): GraphAnswer {
  const answer = jsonAnswer(status, {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': randomUUID() },
    },
  });
  if (retryAfter !== undefined) {
    answer.retryAfter = retryAfter;
    answer.headers['Retry-After'] = String(retryAfter);
  }
  return answer;
}

export function throttledAnswer(retryAfter: number): GraphAnswer {
  return graphError(429, 'TooManyRequests', 'Too many requests.', retryAfter);
}

export function noPhoto(): GraphAnswer {
  return graphError(
    404,
    'ImageNotFound',
    "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
  );
}

export function methodNotAllowed(method: string): GraphAnswer {
  return graphError(
    405,
    'Request_BadRequest',
    `Specified HTTP method '${method}' is not allowed for the request target.`,
  );
}

/** How much of a body a `truncate` sabotage sends. */
export function halfLength(bytes: Buffer): number {
  return Math.floor(bytes.length / 2);
}

export function writeAnswer(res: ServerResponse, answer: GraphAnswer): void {
  const body = answer.bytes ?? Buffer.from(JSON.stringify(answer.json));
  res.writeHead(answer.status, {
    ...answer.headers,
    'request-id': randomUUID(),
    'Content-Length': String(body.length),
  });
  if (answer.sabotage === 'truncate') res.write(body.subarray(0, halfLength(body)), () => res.socket?.end());
  else res.end(body);
}
