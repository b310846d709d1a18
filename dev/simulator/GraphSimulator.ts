/**
 * A fake Microsoft Graph over HTTPS for tests, benchmarks and the local demo tenant. It serves the
 * few endpoints the product uses — user paging (listUsers) and its delta rounds (listUserDelta), photo metadata and bytes (photoAnswer),
 * `$batch` (batchAnswer), and the directory administration of the azd hooks (DirectoryAdmin) — with Graph's status codes, error shapes and batch quirks, counts what
 * clients do (SimulatorCounters), and injects faults (SimulatorFaults, FaultPatch) on demand; the
 * control API (controlAnswer) drives it from other processes. This module is the server and its
 * routing. It must be HTTPS: the Graph SDK only sends the bearer token to https hosts.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'selfsigned';
import { batchAnswer } from './batchAnswer';
import { controlAnswer } from './controlAnswer';
import { SimulatedDirectoryAdmin } from './DirectoryAdmin';
import { graphError, methodNotAllowed, writeAnswer, type GraphAnswer } from './GraphAnswer';
import { pathSegments, type GraphCall } from './GraphCall';
import { listGroupMembers } from './listGroupMembers';
import { listUsers } from './listUsers';
import { listUserDelta } from './listUserDelta';
import { photoAnswer } from './photoAnswer';
import { readJson } from './readJson';
import { RandomFailures } from './RandomFailures';
import { RetryAfterDeadlines } from './RetryAfterDeadlines';
import type { SimulatedTenant } from './SimulatedTenant';
import { emptyCounters, type SimulatorCounters } from './SimulatorCounters';
import { defaultFaults, type SimulatorFaults } from './SimulatorFaults';
import type { SimulatorState } from './SimulatorState';
import { TokenBucket } from './TokenBucket';

export interface GraphSimulatorOptions {
  tenant: SimulatedTenant;
  /** Added to every HTTP request (once per `$batch`, not per item). */
  latencyMs?: number;
  /** Bearer token clients must send. Default: random. */
  token?: string;
  /** Default: any free port. */
  port?: number;
  /** Initial `faults.throttleRps`. */
  throttleRps?: number;
  /** `Retry-After` of throttle and `errorFor` 429/503 answers. Default 1. */
  retryAfterSeconds?: number;
  host?: '127.0.0.1';
  /** Users per `/users/delta` page (Graph chooses it; delta takes no `$top`). Default 999. */
  deltaPageSize?: number;
}

const API_VERSION = 'v1.0';

export class GraphSimulator implements SimulatorState {
  readonly baseUrl: string;
  readonly origin: string;
  readonly tenant: SimulatedTenant;
  counters: SimulatorCounters = emptyCounters();
  faults: SimulatorFaults;
  readonly retryAfterSeconds: number;
  /** `GET /users/<id>/photo[/$value]` → when a new request stops counting as early. */
  readonly deadlines = new RetryAfterDeadlines();
  readonly bucket = new TokenBucket();
  readonly randomFailures = new RandomFailures();
  /** App registrations, service principals and role assignments, for the azd provisioning hooks. */
  readonly directory = new SimulatedDirectoryAdmin();

  private readonly latencyMs: number;
  private readonly deltaPageSize: number;
  private readonly initialThrottleRps: number | undefined;
  /** Aborts pending latency and stall sleeps on stop, so no timer outlives the server. */
  private readonly lifetime = new AbortController();

  private constructor(
    private readonly server: https.Server,
    options: GraphSimulatorOptions,
    port: number,
    readonly caCertPem: string,
    readonly token: string,
  ) {
    this.tenant = options.tenant;
    this.origin = `https://localhost:${port}`;
    this.baseUrl = `${this.origin}/${API_VERSION}`;
    this.latencyMs = options.latencyMs ?? 0;
    this.deltaPageSize = options.deltaPageSize ?? 999;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.initialThrottleRps = options.throttleRps;
    this.faults = defaultFaults(this.initialThrottleRps);
    // Every pending latency or stall sleep listens on this signal until it ends: many stalled
    // requests at once are expected, not a leak.
    setMaxListeners(0, this.lifetime.signal);
  }

  static async start(options: GraphSimulatorOptions): Promise<GraphSimulator> {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    const token = options.token ?? randomBytes(24).toString('base64url');
    let simulator: GraphSimulator | undefined;
    const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      // Requests cannot arrive before listen() resolves, so the simulator exists by then.
      void simulator!.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    simulator = new GraphSimulator(server, options, (server.address() as AddressInfo).port, pems.cert, token);
    return simulator;
  }

  /** Also forgets pending Retry-After deadlines, so `earlyRequests` only counts what comes after. */
  resetCounters(): void {
    this.counters = emptyCounters();
    this.deadlines.clear();
  }

  resetFaults(): void {
    this.faults = defaultFaults(this.initialThrottleRps);
  }

  async stop(): Promise<void> {
    if (this.lifetime.signal.aborted) return;
    this.lifetime.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async sleep(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.lifetime.signal });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.origin);
      if (!url.pathname.startsWith('/_sim/')) await this.graph(req, res, url);
      else if (this.authorized(req)) writeAnswer(res, await controlAnswer(this, req, url));
      else
        writeAnswer(
          res,
          graphError(
            401,
            'InvalidAuthenticationToken',
            'The simulator control API needs the same bearer token.',
          ),
        );
    } catch (error) {
      if (this.lifetime.signal.aborted) return;
      if (!res.headersSent)
        writeAnswer(res, graphError(500, 'InternalServerError', `Simulator failure: ${String(error)}`));
      else res.destroy();
    }
  }

  private async graph(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const arrivedAt = Date.now();
    this.counters.requests++;
    const host = req.headers.host ?? '';
    this.counters.requestsByHost[host] = (this.counters.requestsByHost[host] ?? 0) + 1;
    if (this.latencyMs > 0) await this.sleep(this.latencyMs);

    if (this.faults.tokenRejected || !this.authorized(req)) {
      this.counters.unauthorized++;
      const message = req.headers.authorization
        ? 'Access token validation failure. Invalid audience.'
        : 'Access token is empty.';
      writeAnswer(res, graphError(401, 'InvalidAuthenticationToken', message));
      return;
    }
    const segments = pathSegments(url.pathname);
    if (segments === undefined) {
      writeAnswer(res, graphError(400, 'BadRequest', 'Malformed URL path.'));
      return;
    }
    if (segments[0] !== API_VERSION) {
      writeAnswer(res, graphError(400, 'BadRequest', `Invalid version: ${segments[0] ?? ''}`));
      return;
    }
    const method = req.method ?? 'GET';
    const rest = segments.slice(1);
    const answer =
      rest.length === 1 && rest[0] === '$batch'
        ? method === 'POST'
          ? await batchAnswer(this, req, arrivedAt, (call) => this.route(call))
          : methodNotAllowed(method)
        : SimulatedDirectoryAdmin.serves(rest)
          ? this.directory.answer(method, rest, method === 'GET' ? undefined : await readJson(req))
          : this.route({ method, segments: rest, query: url.searchParams, inBatch: false, arrivedAt });

    if (answer.stallMs) await this.sleep(answer.stallMs);
    if (answer.sabotage === 'reset') {
      req.socket.destroy();
      return;
    }
    this.deadlines.commit(answer);
    writeAnswer(res, answer);
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  /** Graph endpoints shared by direct requests and `$batch` items. */
  private route(call: GraphCall): GraphAnswer {
    const [collection, userKey, photo, value, ...extra] = call.segments;
    if (collection === 'users' && userKey === undefined) {
      return call.method === 'GET' ? listUsers(this, call) : methodNotAllowed(call.method);
    }
    if (collection === 'users' && userKey === 'delta' && photo === undefined)
      return call.method === 'GET'
        ? listUserDelta(this, call, this.deltaPageSize)
        : methodNotAllowed(call.method);
    if (
      collection === 'users' &&
      userKey &&
      photo === 'photo' &&
      (value === undefined || value === '$value') &&
      extra.length === 0
    ) {
      return call.method === 'GET'
        ? photoAnswer(this, call, userKey, value === '$value')
        : methodNotAllowed(call.method);
    }
    if (
      collection === 'groups' &&
      userKey &&
      photo === 'transitiveMembers' &&
      value === 'microsoft.graph.user'
    )
      return call.method === 'GET' && extra.length === 0
        ? listGroupMembers(this, call, userKey)
        : methodNotAllowed(call.method);
    return graphError(
      400,
      'BadRequest',
      `The simulator does not serve ${call.method} /${call.segments.join('/')}.`,
    );
  }
}
