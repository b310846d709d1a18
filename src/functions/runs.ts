import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { isRunId } from '../domain/Run';
import { HttpError } from '../http/HttpError';
import { requireReader } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { jsonResponse } from '../http/jsonResponse';
import { pageQuery, readPage } from '../http/PageQuery';

async function handleRuns(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  requireReader(request);
  const { runs } = await getServices();
  const runId = request.params.runId;
  if (runId === undefined || runId === '') {
    const query = pageQuery(request, { defaultTop: 20, maxTop: 100 });
    return jsonResponse(await readPage(query.next, () => runs.page(query)));
  }
  if (!isRunId(runId))
    throw new HttpError(400, 'invalidRunId', 'runId looks like 20261126T200412.123Z-3f9a1c.');
  const run = await runs.get(runId);
  if (run === undefined) throw new HttpError(404, 'runNotFound', `There is no run ${runId}.`);
  return jsonResponse(run);
}

/** `GET /api/runs` (newest first, `?top=` and `?next=`) and `GET /api/runs/{runId}`. */
export const runsHandler = handleHttpErrors(handleRuns);

app.http('runs', {
  route: 'runs/{runId?}',
  methods: ['GET'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: runsHandler,
});
