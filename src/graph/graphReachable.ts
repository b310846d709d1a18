import type { Client } from '@microsoft/microsoft-graph-client';
import { answersWithin } from '../domain/answersWithin';

const CHECK_TIMEOUT_MS = 5_000;
/** Anonymous callers (health) must not be able to turn this into a stream of Graph requests. */
const CHECK_TTL_MS = 60_000;
let lastCheck: { at: number; reachable: Promise<boolean> } | undefined;

/** Whether Graph answers the app (one user id listed), asked at most once a minute per process. */
export function graphReachable(client: Pick<Client, 'api'>): Promise<boolean> {
  if (lastCheck === undefined || Date.now() - lastCheck.at > CHECK_TTL_MS) {
    lastCheck = {
      at: Date.now(),
      reachable: answersWithin(
        client
          .api('/users')
          .top(1)
          .select('id')
          .option('signal', AbortSignal.timeout(CHECK_TIMEOUT_MS))
          .get(),
        CHECK_TIMEOUT_MS,
      ),
    };
  }
  return lastCheck.reachable;
}
