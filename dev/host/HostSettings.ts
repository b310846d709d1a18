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

/** Longest lease the storage queue accepts: 7 days. */
const MAX_LEASE_SECONDS = 7 * 24 * 60 * 60;

/**
 * `LOCAL_QUEUE_LEASE_SECONDS`, a setting of the local host only: how long a received message stays
 * hidden between renewals, so also how long after a crash it is delivered again. Unset, the
 * Functions host's 10 minutes; `npm run chaos` shortens it so a killed host's jobs come back in
 * seconds.
 */
export function readLeaseSeconds(appSettings: Record<string, string | undefined>): number | undefined {
  const text = appSettings.LOCAL_QUEUE_LEASE_SECONDS;
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 2 || value > MAX_LEASE_SECONDS)
    throw new Error(
      `LOCAL_QUEUE_LEASE_SECONDS must be a whole number of seconds from 2 to ${MAX_LEASE_SECONDS}, got "${text}"`,
    );
  return value;
}
