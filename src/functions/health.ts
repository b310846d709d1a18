import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { jsonResponse } from '../http/jsonResponse';
import { nextScheduledRun } from '../domain/Schedule';
import { graphReachable } from '../graph/graphReachable';
import { storageReachable } from '../storage/storageReachable';

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
    return jsonResponse(
      { status: 'unhealthy', storage: { reachable: false }, graph: { reachable: false } },
      { status: 503 },
    );
  }
  const [storage, { reachable: graph, problem }] = await Promise.all([
    storageReachable(services),
    graphReachable(services.graphClient),
  ]);
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
