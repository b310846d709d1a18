import { z } from 'zod';

/** Enough of `GET /api/health` to tell this app's host from anything else on the port. */
const HealthSchema = z.object({
  status: z.string(),
  storage: z.object({ reachable: z.boolean() }),
  schedule: z.object({ expression: z.string() }),
});

const PROBE_TIMEOUT_MS = 2_000;

/**
 * The URL of a local host of this app (`npm start`, `func start`) listening on `port` on this
 * machine, or undefined when none answers there.
 */
export async function findRunningHost(port: number): Promise<string | undefined> {
  const url = `http://127.0.0.1:${port}`;
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return HealthSchema.safeParse(await response.json()).success ? url : undefined;
  } catch {
    // Nothing listening, or something that is not this app's host.
    return undefined;
  }
}
