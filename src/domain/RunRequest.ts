import { z } from 'zod';
import { parseWith, RUN_ID, type ParseResult } from './PhotoJob';

/** Asks a planner to plan a run that `POST /api/sync` created. */
export interface RunRequest {
  runId: string;
}

const runRequestSchema = z.strictObject({ runId: z.string().regex(RUN_ID, 'runId is not a run id') });

export function parseRunRequest(message: unknown): ParseResult<RunRequest> {
  return parseWith(runRequestSchema, message, (request) => request);
}
