import type { Client } from '@microsoft/microsoft-graph-client';
import { answersWithin } from '../domain/answersWithin';
import type { PhotoError } from '../domain/PhotoError';
import { classifyGraphStatus } from './GraphFailure';

const CHECK_TIMEOUT_MS = 5_000;
/** Anonymous callers (health) must not be able to turn this into a stream of Graph requests. */
const CHECK_TTL_MS = 60_000;

export interface GraphReachability {
  reachable: boolean;
  /** A refusal of the app's credential or permission: the admin's to fix, so health names it. */
  problem: PhotoError | null;
}

let lastCheck: { at: number; answer: Promise<GraphReachability> } | undefined;

function permissionProblem(error: unknown): PhotoError | null {
  // Read by shape: the SDK's error class may come from another module registry (tests).
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  if (statusCode !== 401 && statusCode !== 403) return null;
  const answer = classifyGraphStatus(statusCode, typeof code === 'string' ? code : undefined);
  return answer.kind === 'failed' ? answer.error : null;
}

/** Whether Graph answers the app (one user id listed), asked at most once a minute per process. */
export function graphReachable(client: Pick<Client, 'api'>): Promise<GraphReachability> {
  if (lastCheck === undefined || Date.now() - lastCheck.at > CHECK_TTL_MS) {
    const listing = client
      .api('/users')
      .top(1)
      .select('id')
      .option('signal', AbortSignal.timeout(CHECK_TIMEOUT_MS))
      .get() as Promise<unknown>;
    lastCheck = {
      at: Date.now(),
      answer: Promise.all([
        answersWithin(listing, CHECK_TIMEOUT_MS),
        listing.then(() => null, permissionProblem),
      ]).then(([reachable, problem]) => ({ reachable, problem })),
    };
  }
  return lastCheck.answer;
}
