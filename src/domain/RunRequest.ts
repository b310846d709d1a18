import { z } from 'zod';
import { parseMessage, type ParseResult } from './parseMessage';
import { RunIdSchema } from './Run';

/** Asks a planner to plan a run that `POST /api/sync` created. */
export interface RunRequest {
  runId: string;
}

const runRequestSchema = z.strictObject({ runId: RunIdSchema });

export function parseRunRequest(message: unknown): ParseResult<RunRequest> {
  return parseMessage(runRequestSchema, message, (request) => request);
}
