import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { jsonResponse } from '../http/jsonResponse';
import type { PhotoError } from '../domain/PhotoError';
import { nextScheduledRun } from '../domain/Schedule';
import { classifyGraphStatus } from '../graph/GraphFailure';

const CHECK_TIMEOUT_MS = 5_000;
// Anonymous callers must not be able to turn this route into a stream of Graph requests.
const GRAPH_CHECK_TTL_MS = 60_000;
let graphCheck: { at: number; reachable: Promise<boolean>; problem: Promise<PhotoError | null> } | undefined;

/** A refusal of the app's credential or permission: the admin's to fix, so health names it. */
function permissionProblem(error: unknown): PhotoError | null {
  // Read by shape: the SDK's error class may come from another module registry (tests).
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  if (statusCode !== 401 && statusCode !== 403) return null;
  const answer = classifyGraphStatus(statusCode, typeof code === 'string' ? code : undefined);
  return answer.kind === 'failed' ? answer.error : null;
}

async function withTimeout(check: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      check.then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function handleHealth(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  let services;
  try {
    services = await getServices();
  } catch (error) {
    context.warn(
      JSON.stringify({
        event: 'healthCheck',
        reason: error instanceof Error ? error.message : String(error),
      }),
    );
    return {
      status: 503,
      jsonBody: { status: 'unhealthy', storage: { reachable: false }, graph: { reachable: false } },
    };
  }
  const storage = await withTimeout(
    Promise.all([
      services.settings.read(),
      services.storage.queues.photoJobs.getProperties(),
      services.storage.photoContainer.getProperties(),
    ]),
  );
  if (graphCheck === undefined || Date.now() - graphCheck.at > GRAPH_CHECK_TTL_MS) {
    const listing = services.graphClient
      .api('/users')
      .top(1)
      .select('id')
      .option('signal', AbortSignal.timeout(CHECK_TIMEOUT_MS))
      .get() as Promise<unknown>;
    graphCheck = {
      at: Date.now(),
      reachable: withTimeout(listing),
      problem: listing.then(() => null, permissionProblem),
    };
  }
  const graph = await graphCheck.reachable;
  const problem = await graphCheck.problem;
  const healthy = storage && graph;
  return jsonResponse(
    {
      status: healthy ? 'healthy' : 'unhealthy',
      storage: { reachable: storage },
      graph: { reachable: graph, problem },
      schedule: {
        expression: services.config.syncSchedule,
        nextRunAt: nextScheduledRun(services.config.syncSchedule).toISOString(),
      },
    },
    { status: healthy ? 200 : 503 },
  );
}

/**
 * `GET /api/health`, anonymous: whether storage and Graph answer, a refused Graph credential or
 * permission (what to grant, no secret), and when the timer runs next; no personal data.
 */
export const healthHandler = handleHttpErrors(handleHealth);

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: healthHandler,
});
