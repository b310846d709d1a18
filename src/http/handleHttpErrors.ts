import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

export type JsonHttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
import { errorResponse, HttpError } from './HttpError';

/**
 * Every HTTP function answers errors as JSON and never with a stack trace: a refused request gets
 * its own status and code, anything unexpected a 500 whose details stay in the log.
 */
export function handleHttpErrors(handler: JsonHttpHandler): JsonHttpHandler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      if (error instanceof HttpError)
        return errorResponse(error.status, error.code, error.message, error.headers, error.details);
      context.error(
        JSON.stringify({
          event: 'httpError',
          route: new URL(request.url).pathname,
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
      );
      return errorResponse(
        500,
        'internalError',
        `The request failed on the server; see the function log for invocation ${context.invocationId}.`,
      );
    }
  };
}

/** Methods a route serves; others get 405 with `Allow`. */
export function requireMethod(request: HttpRequest, allowed: readonly string[]): void {
  if (!allowed.includes(request.method.toUpperCase())) {
    throw new HttpError(
      405,
      'methodNotAllowed',
      `${request.method} is not allowed here; use ${allowed.join(' or ')}.`,
      { Allow: allowed.join(', ') },
    );
  }
}
