import { z } from 'zod';
import { parseMessage, type ParseResult } from './parseMessage';
import { RunIdSchema } from './Run';

/** Asks a planner to plan a run that `POST /api/sync` created. */
export interface RunRequest {
  runId: string;
  /** `POST /api/sync {"allowRemovals": true}`: this run is not held to PHOTO_REMOVAL_LIMIT. */
  allowRemovals?: boolean;
}

const runRequestSchema = z.strictObject({ runId: RunIdSchema, allowRemovals: z.boolean().optional() });

export function parseRunRequest(message: unknown): ParseResult<RunRequest> {
  return parseMessage(runRequestSchema, message, (request) => request);
}
