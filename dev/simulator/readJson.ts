import type { IncomingMessage } from 'node:http';
import { readRequestBody } from '../host/readRequestBody';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The request's JSON body; undefined when it is too large or not JSON (the caller's 400). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readRequestBody(req, MAX_BODY_BYTES);
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
