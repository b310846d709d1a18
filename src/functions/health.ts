import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { jsonResponse } from '../http/jsonResponse';

const CHECK_TIMEOUT_MS = 5_000;
// Anonymous callers must not be able to turn this route into a stream of Graph requests.
const GRAPH_CHECK_TTL_MS = 60_000;
let graphCheck: { at: number; reachable: Promise<boolean> } | undefined;

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
    graphCheck = {
      at: Date.now(),
      reachable: withTimeout(
        services.graphClient
          .api('/users')
          .top(1)
          .select('id')
          .option('signal', AbortSignal.timeout(CHECK_TIMEOUT_MS))
          .get(),
      ),
    };
  }
  const graph = await graphCheck.reachable;
  const healthy = storage && graph;
  return jsonResponse(
    {
      status: healthy ? 'healthy' : 'unhealthy',
      storage: { reachable: storage },
      graph: { reachable: graph },
    },
    { status: healthy ? 200 : 503 },
  );
}

/** `GET /api/health`, anonymous: whether storage and Graph answer; never a detail that could leak. */
export const healthHandler = handleHttpErrors(handleHealth);

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: healthHandler,
});
