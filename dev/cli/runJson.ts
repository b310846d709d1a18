import { randomUUID } from 'node:crypto';
import {
  HttpRequest,
  HttpResponse,
  InvocationContext,
  type HttpResponseInit,
  type LogHandler,
} from '@azure/functions';
import type { RegisteredFunction } from '../host/FunctionRegistry';
import { HttpRoute } from '../host/HttpRoute';

type HttpHandler = (
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit | HttpResponse>;

/**
 * The run exactly as `GET /api/runs/{runId}` answers it: the request goes through the app's own
 * HTTP function, routed as the local host routes it, so the CLI cannot drift from the API.
 */
export async function runJson(
  functions: readonly RegisteredFunction[],
  runId: string,
  logHandler: LogHandler,
): Promise<string> {
  const path = `runs/${encodeURIComponent(runId)}`;
  const served = functions
    .filter(
      (fn) =>
        fn.trigger.type === 'httpTrigger' &&
        ((fn.trigger.methods as string[] | undefined) ?? ['GET']).some(
          (method) => method.toUpperCase() === 'GET',
        ),
    )
    .map((fn) => ({ fn, route: new HttpRoute(String(fn.trigger.route ?? fn.name)) }))
    .map(({ fn, route }) => ({ fn, route, params: route.match(path) }))
    .filter((candidate) => candidate.params !== undefined)
    .sort((a, b) => b.route.specificity - a.route.specificity)[0];
  if (served === undefined) throw new Error(`no function serves GET /api/${path}`);
  const request = new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/${path}`,
    params: served.params,
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: served.fn.name,
    logHandler,
  });
  const result = await (served.fn.handler as HttpHandler)(request, context);
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET /api/${path} answered ${response.status}: ${body}`);
  return body;
}
