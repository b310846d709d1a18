import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  HttpRequest,
  HttpResponse,
  InvocationContext,
  type HttpResponseInit,
  type LogHandler,
} from '@azure/functions';
import type { RegisteredFunction } from './FunctionRegistry';
import { HttpRoute } from './HttpRoute';
import { readRequestBody } from './readRequestBody';
import { MAX_BODY_BYTES } from '../../src/http/readJsonBody';

/**
 * No route takes a larger body (src/http/readJsonBody.ts), so the local host stops reading there,
 * with the app's own answer; the Functions host's limit is far higher and leaves it to the app.
 */
const MAX_REQUEST_BYTES = MAX_BODY_BYTES;

interface HttpFunction {
  name: string;
  route: HttpRoute;
  methods: string[];
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit | HttpResponse>;
}

function json(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * Serves the app's HTTP functions on `http://localhost:<port>/api/...` as Core Tools does locally:
 * same routes and methods, no function keys. Requests and responses are the library's own
 * `HttpRequest` and `HttpResponse`, so handlers run exactly as in Azure.
 */
export class HttpServer {
  private readonly functions: HttpFunction[];
  private server: Server | undefined;

  constructor(
    registered: readonly RegisteredFunction[],
    private readonly logHandler: (functionName: string) => LogHandler,
    private readonly onInvocation: (line: string) => void,
  ) {
    this.functions = registered
      .filter((fn) => fn.trigger.type === 'httpTrigger')
      .map((fn) => ({
        name: fn.name,
        route: new HttpRoute(String(fn.trigger.route ?? fn.name)),
        methods: (fn.trigger.methods as string[] | undefined)?.map((method) => method.toUpperCase()) ?? [
          'GET',
          'POST',
        ],
        handler: fn.handler as HttpFunction['handler'],
      }))
      .sort((a, b) => b.route.specificity - a.route.specificity);
  }

  get routes(): Array<{ name: string; methods: string[]; route: string }> {
    return this.functions.map((fn) => ({ name: fn.name, methods: fn.methods, route: fn.route.template }));
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.onInvocation(`HTTP adapter error: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) json(res, 500, 'internalError', 'The local host failed to answer.');
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    if (!url.pathname.startsWith('/api/')) return json(res, 404, 'notFound', 'Routes live under /api/.');
    const path = url.pathname.slice('/api/'.length);
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = this.functions
      .map((fn) => ({ fn, params: fn.route.match(path) }))
      .filter((found) => found.params !== undefined);
    if (candidates.length === 0) return json(res, 404, 'notFound', `No function serves /api/${path}.`);
    const chosen = candidates.find(({ fn }) => fn.methods.includes(method));
    if (chosen === undefined)
      return json(res, 405, 'methodNotAllowed', `${method} is not allowed here.`, {
        Allow: candidates[0].fn.methods.join(', '),
      });
    const body = await readRequestBody(req, MAX_REQUEST_BYTES);
    if (body === undefined)
      return json(
        res,
        413,
        'payloadTooLarge',
        `The body is larger than ${MAX_REQUEST_BYTES} bytes (16 KiB).`,
      );

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    // App Service strips a client-sent principal header; so does this host, so it cannot be forged here either.
    delete headers['x-ms-client-principal'];
    const request = new HttpRequest({
      method,
      url: url.href,
      headers,
      query: Object.fromEntries(url.searchParams),
      params: chosen.params,
      body: body.length > 0 ? { bytes: body } : undefined,
    });
    const invocationId = randomUUID();
    const context = new InvocationContext({
      invocationId,
      functionName: chosen.fn.name,
      logHandler: this.logHandler(chosen.fn.name),
    });
    const started = Date.now();
    this.onInvocation(
      `Executing 'Functions.${chosen.fn.name}' (Reason='This function was programmatically called via the host APIs.', Id=${invocationId})`,
    );
    let result: HttpResponseInit | HttpResponse;
    try {
      result = await chosen.fn.handler(request, context);
    } catch (error) {
      this.onInvocation(
        `Executed 'Functions.${chosen.fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${error instanceof Error ? error.message : String(error)}`,
      );
      return json(res, 500, 'internalError', 'The function failed; see the host log.');
    }
    const response = result instanceof HttpResponse ? result : new HttpResponse(result);
    const bytes = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    res.end(bytes);
    this.onInvocation(
      `Executed 'Functions.${chosen.fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
    );
  }
}
