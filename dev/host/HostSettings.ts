import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The `host.json` queue settings the local host honours, as the Functions host reads them. */
export interface QueueSettings {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
}

/** `hh:mm:ss` → milliseconds. */
function timeSpanMs(value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const match = /^(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (match === null) throw new Error(`host.json: "${value}" is not a time span like 00:00:10`);
  return (
    ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 +
    Number(`0.${match[4] ?? 0}`) * 1000
  );
}

export function readQueueSettings(projectRoot: string): QueueSettings {
  const host = JSON.parse(readFileSync(join(projectRoot, 'host.json'), 'utf8')) as {
    extensions?: { queues?: Record<string, unknown> };
  };
  const queues = host.extensions?.queues ?? {};
  const batchSize = Number(queues.batchSize ?? 16);
  return {
    batchSize,
    newBatchThreshold: Number(queues.newBatchThreshold ?? Math.floor(batchSize / 2)),
    maxDequeueCount: Number(queues.maxDequeueCount ?? 5),
    visibilityTimeoutMs: timeSpanMs(queues.visibilityTimeout as string | undefined, 0),
    maxPollingIntervalMs: timeSpanMs(queues.maxPollingInterval as string | undefined, 60_000),
  };
}
