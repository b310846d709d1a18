/**
 * A fake Microsoft Graph over HTTPS for tests, benchmarks and the local demo tenant. It serves the
 * few endpoints the product uses — user paging, photo metadata and bytes, `$batch` — with Graph's
 * status codes, error shapes and batch quirks (see docs in /work/shared/GRAPH-NOTES.md), counts
 * what clients do, and injects faults (throttling, errors, stalls, broken connections) on demand.
 * It must be HTTPS: the Graph SDK only sends the bearer token to https hosts.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'selfsigned';
import { z } from 'zod';
import type { SimulatedTenant, SimulatedUser } from './SimulatedTenant';

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
}

export interface SimulatorCounters {
  listPages: number;
  batchCalls: number;
  batchItems: number;
  /** Photo metadata requests outside `$batch`. */
  directMetadata: number;
  /** Photo `$value` requests outside `$batch`. */
  directValue: number;
  /** Photo bytes actually sent, direct and base64-decoded from `$batch`. */
  photoBytesServed: number;
  /** Requests for a resource that arrived before the `Retry-After` the simulator gave for it ran out. */
  earlyRequests: number;
  /** 429 answers, direct and batch items. */
  throttled: number;
  unauthorized: number;
  /** Every HTTP request except the `/_sim/` control API. */
  requests: number;
  requestsByHost: Record<string, number>;
}

export interface ErrorFault {
  status: number;
  code: string;
  /** How many photo requests get this error; unlimited when absent. */
  times?: number;
}

/**
 * Faults, applied to photo requests (direct and inside `$batch`) unless noted. User keys are user
 * ids (lowercase GUIDs); the control API also accepts userPrincipalNames and converts them.
 */
export interface SimulatorFaults {
  /** 403 `ErrorAccessDenied` for everyone (`true`) or for these users. */
  permissionDenied: boolean | Set<string>;
  /** The next N requests for the user get 429 with `Retry-After`. */
  throttle: Map<string, number>;
  /** Token bucket over all photo requests (burst: one second's worth). Undefined: no limit. */
  throttleRps: number | undefined;
  errorFor: Map<string, ErrorFault>;
  /** Share of photo requests failing with 429, 500, 502, 503 or 504, drawn from `randomFailureSeed`. */
  randomFailureRate: number;
  randomFailureSeed: number;
  stallMs: number;
  stallFor: Set<string> | 'all';
  /** Direct requests only: the socket is destroyed instead of answering. */
  resetConnectionFor: Set<string>;
  /** Direct `$value` requests only: full Content-Length, half the bytes, then the socket ends. */
  truncateBodyFor: Set<string>;
  /** List pages with index >= N (first page: 0) answer 500. */
  listFailAfterPages: number | undefined;
  /** Every Graph request gets 401 (the control API keeps working). */
  tokenRejected: boolean;
}

/** What the simulator answers, before it is written to a socket or into a batch response. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  json?: unknown;
  bytes?: Buffer;
  /** Seconds; the resource's early-request deadline starts when the answer is sent. */
  retryAfter?: number;
  resourceKey?: string;
  stallMs?: number;
  sabotage?: 'reset' | 'truncate';
}

interface GraphCall {
  method: string;
  /** Decoded path segments after the version, e.g. `['users', id, 'photo']`. */
  segments: string[];
  query: URLSearchParams;
  inBatch: boolean;
  arrivedAt: number;
}

const API_VERSION = 'v1.0';
const BATCH_LIMIT = 20;
/** Graph runs at most four items of a batch at a time, which matters when items stall. */
const BATCH_PARALLELISM = 4;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Timers may fire a millisecond early; a client that waited out Retry-After is not "early". */
const EARLY_GRACE_MS = 10;
const JSON_TYPE = 'application/json';
const RANDOM_FAILURES: ReadonlyArray<{ status: number; code: string; retryAfter?: number }> = [
  { status: 429, code: 'TooManyRequests', retryAfter: 1 },
  { status: 500, code: 'InternalServerError' },
  { status: 502, code: 'BadGateway' },
  { status: 503, code: 'ServiceUnavailable', retryAfter: 1 },
  { status: 504, code: 'GatewayTimeout' },
];

type UserProperty =
  | keyof SimulatedUser
  | 'businessPhones'
  | 'jobTitle'
  | 'mobilePhone'
  | 'officeLocation'
  | 'preferredLanguage'
  | 'department';
const USER_PROPERTIES: readonly UserProperty[] = [
  'id',
  'displayName',
  'givenName',
  'surname',
  'userPrincipalName',
  'mail',
  'accountEnabled',
  'businessPhones',
  'jobTitle',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'department',
];
/** What Graph returns for users without `$select`. */
const DEFAULT_USER_PROPERTIES: readonly UserProperty[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

const BatchBody = z.object({
  requests: z.array(z.object({ id: z.string().min(1), method: z.string().min(1), url: z.string() })),
});

const UserKeys = z.array(z.string());
const FaultPatch = z.strictObject({
  /** Restore the defaults before applying the rest. */
  reset: z.boolean().optional(),
  permissionDenied: z.union([z.boolean(), UserKeys]).optional(),
  throttle: z.record(z.string(), z.number().int().nonnegative()).optional(),
  throttleRps: z.number().positive().nullable().optional(),
  errorFor: z
    .record(
      z.string(),
      z.object({
        status: z.number().int().min(400).max(599),
        code: z.string().min(1),
        times: z.number().int().positive().optional(),
      }),
    )
    .optional(),
  randomFailureRate: z.number().min(0).max(1).optional(),
  randomFailureSeed: z.number().optional(),
  stallMs: z.number().nonnegative().optional(),
  stallFor: z.union([z.literal('all'), UserKeys]).optional(),
  resetConnectionFor: UserKeys.optional(),
  truncateBodyFor: UserKeys.optional(),
  listFailAfterPages: z.number().int().nonnegative().nullable().optional(),
  tokenRejected: z.boolean().optional(),
});

const PhotoAction = z.object({ action: z.enum(['change', 'reupload', 'remove', 'add']) });
const MutateBody = z.object({
  changed: z.number(),
  reuploadShare: z.number().optional(),
  seed: z.number().optional(),
});

export class GraphSimulator {
  readonly baseUrl: string;
  readonly origin: string;
  readonly tenant: SimulatedTenant;
  counters: SimulatorCounters = emptyCounters();
  faults: SimulatorFaults;

  private readonly latencyMs: number;
  private readonly retryAfterSeconds: number;
  private readonly initialThrottleRps: number | undefined;
  /** Aborts pending latency and stall sleeps on stop, so no timer outlives the server. */
  private readonly lifetime = new AbortController();
  /** `GET /users/<id>/photo[/$value]` → epoch ms before which a new request counts as early. */
  private readonly deadlines = new Map<string, number>();
  private bucket = { rate: 0, tokens: 0, at: 0 };
  /** Random-failure draws so far for `faults`/`seed`; see drawRandom. */
  private random: { faults?: SimulatorFaults; seed: number; draws: number } = { seed: Number.NaN, draws: 0 };

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
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.initialThrottleRps = options.throttleRps;
    this.faults = this.defaultFaults();
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
    this.faults = this.defaultFaults();
  }

  async stop(): Promise<void> {
    if (this.lifetime.signal.aborted) return;
    this.lifetime.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private defaultFaults(): SimulatorFaults {
    return {
      permissionDenied: false,
      throttle: new Map(),
      throttleRps: this.initialThrottleRps,
      errorFor: new Map(),
      randomFailureRate: 0,
      randomFailureSeed: 1,
      stallMs: 0,
      stallFor: new Set(),
      resetConnectionFor: new Set(),
      truncateBodyFor: new Set(),
      listFailAfterPages: undefined,
      tokenRejected: false,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.origin);
      if (url.pathname.startsWith('/_sim/')) await this.control(req, res, url);
      else await this.graph(req, res, url);
    } catch (error) {
      if (this.lifetime.signal.aborted) return;
      if (!res.headersSent)
        this.write(res, graphError(500, 'InternalServerError', `Simulator failure: ${String(error)}`));
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
      this.write(res, graphError(401, 'InvalidAuthenticationToken', message));
      return;
    }
    const segments = pathSegments(url.pathname);
    if (segments === undefined) {
      this.write(res, graphError(400, 'BadRequest', 'Malformed URL path.'));
      return;
    }
    if (segments[0] !== API_VERSION) {
      this.write(res, graphError(400, 'BadRequest', `Invalid version: ${segments[0] ?? ''}`));
      return;
    }
    const method = req.method ?? 'GET';
    const rest = segments.slice(1);
    const answer =
      rest.length === 1 && rest[0] === '$batch'
        ? method === 'POST'
          ? await this.batch(req, arrivedAt)
          : methodNotAllowed(method)
        : this.route({ method, segments: rest, query: url.searchParams, inBatch: false, arrivedAt });

    if (answer.stallMs) await this.sleep(answer.stallMs);
    if (answer.sabotage === 'reset') {
      req.socket.destroy();
      return;
    }
    this.commitDeadline(answer);
    this.write(res, answer);
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  /** Graph endpoints shared by direct requests and `$batch` items. */
  private route(call: GraphCall): Answer {
    const [collection, userKey, photo, value, ...extra] = call.segments;
    if (collection === 'users' && userKey === undefined) {
      return call.method === 'GET' ? this.listUsers(call) : methodNotAllowed(call.method);
    }
    if (
      collection === 'users' &&
      userKey &&
      photo === 'photo' &&
      (value === undefined || value === '$value') &&
      extra.length === 0
    ) {
      return call.method === 'GET'
        ? this.photo(call, userKey, value === '$value')
        : methodNotAllowed(call.method);
    }
    return graphError(
      400,
      'BadRequest',
      `The simulator does not serve ${call.method} /${call.segments.join('/')}.`,
    );
  }

  private listUsers(call: GraphCall): Answer {
    this.counters.listPages++;
    const unsupported = [...call.query.keys()].find(
      (k) => k.startsWith('$') && !['$select', '$top', '$skiptoken'].includes(k),
    );
    if (unsupported)
      return graphError(400, 'BadRequest', `The simulator does not support the query option ${unsupported}.`);

    const select = parseSelect(call.query.get('$select'));
    if (typeof select === 'string')
      return graphError(
        400,
        'BadRequest',
        `Could not find a property named '${select}' on type 'microsoft.graph.user'.`,
      );
    const topText = call.query.get('$top');
    const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
      return graphError(
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
      );
    }
    const skipToken = call.query.get('$skiptoken');
    const position = skipToken === null ? { start: 0, page: 0 } : decodeSkipToken(skipToken);
    if (position === undefined)
      return graphError(
        400,
        'Directory_ExpiredPageToken',
        'The specified page token value has expired and can no longer be included in your request.',
      );
    const failAfter = this.faults.listFailAfterPages;
    if (failAfter !== undefined && position.page >= failAfter)
      return graphError(500, 'InternalServerError', 'Simulated failure while listing users.');

    const end = Math.min(this.tenant.count, position.start + top);
    const value: Record<string, unknown>[] = [];
    for (let i = position.start; i < end; i++)
      if (this.tenant.isListed(i))
        value.push(projectUser(this.tenant.userAt(i), select ?? DEFAULT_USER_PROPERTIES));
    const selectText = select ? select.join(',') : undefined;
    const body: Record<string, unknown> = {
      '@odata.context': `${this.baseUrl}/$metadata#users${selectText ? `(${selectText})` : ''}`,
    };
    if (end < this.tenant.count) {
      const selectPart = selectText ? `$select=${selectText}&` : '';
      body['@odata.nextLink'] =
        `${this.baseUrl}/users?${selectPart}$top=${top}&$skiptoken=${encodeSkipToken({ start: end, page: position.page + 1 })}`;
    }
    body['value'] = value;
    return jsonAnswer(200, body);
  }

  private photo(call: GraphCall, userKey: string, wantValue: boolean): Answer {
    if (!call.inBatch) {
      if (wantValue) this.counters.directValue++;
      else this.counters.directMetadata++;
    }
    const index = this.tenant.indexOf(userKey);
    const user = index === undefined ? undefined : this.tenant.userAt(index);
    const userId = user?.id ?? userKey.toLowerCase();
    const resourceKey = `GET /users/${userId}/photo${wantValue ? '/$value' : ''}`;
    this.noteArrival(resourceKey, call.arrivedAt);

    const answer = this.photoFault(userId) ?? this.photoContent(user, userKey, wantValue);
    answer.resourceKey = resourceKey;
    if (answer.status === 429) this.counters.throttled++;
    const { stallFor, stallMs } = this.faults;
    if (stallMs > 0 && (stallFor === 'all' || stallFor.has(userId))) answer.stallMs = stallMs;
    if (!call.inBatch && this.faults.resetConnectionFor.has(userId)) answer.sabotage = 'reset';
    else if (!call.inBatch && answer.bytes && this.faults.truncateBodyFor.has(userId))
      answer.sabotage = 'truncate';
    if (answer.bytes)
      this.counters.photoBytesServed +=
        answer.sabotage === 'truncate' ? halfLength(answer.bytes) : answer.bytes.length;
    return answer;
  }

  /** Faults in the order a real service would hit them: rate limit first, then per-user conditions. */
  private photoFault(userId: string): Answer | undefined {
    const waitSeconds = this.takeToken();
    if (waitSeconds !== undefined) return throttledAnswer(waitSeconds);

    const { permissionDenied, throttle, errorFor } = this.faults;
    if (permissionDenied === true || (permissionDenied instanceof Set && permissionDenied.has(userId))) {
      return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    const throttleLeft = throttle.get(userId) ?? 0;
    if (throttleLeft > 0) {
      if (throttleLeft === 1) throttle.delete(userId);
      else throttle.set(userId, throttleLeft - 1);
      return throttledAnswer(this.retryAfterSeconds);
    }
    const error = errorFor.get(userId);
    if (error) {
      if (error.times !== undefined) {
        if (error.times <= 1) errorFor.delete(userId);
        else errorFor.set(userId, { ...error, times: error.times - 1 });
      }
      const retryAfter = error.status === 429 || error.status === 503 ? this.retryAfterSeconds : undefined;
      return graphError(error.status, error.code, `Simulated ${error.code}.`, retryAfter);
    }
    if (this.faults.randomFailureRate > 0 && this.drawRandom() < this.faults.randomFailureRate) {
      const failure = RANDOM_FAILURES[Math.floor(this.drawRandom() * RANDOM_FAILURES.length)];
      return graphError(
        failure.status,
        failure.code,
        `Simulated random ${failure.code}.`,
        failure.retryAfter,
      );
    }
    return undefined;
  }

  private photoContent(user: SimulatedUser | undefined, userKey: string, wantValue: boolean): Answer {
    if (!user)
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${userKey}' does not exist or one of its queried reference-property objects are not present.`,
      );
    if (wantValue) {
      const photo = this.tenant.photoOf(user.id);
      if (!photo) return noPhoto();
      return { status: 200, headers: { 'Content-Type': photo.contentType }, bytes: photo.bytes };
    }
    const metadata = this.tenant.photoMetadataOf(user.id);
    if (!metadata) return noPhoto();
    return jsonAnswer(200, {
      '@odata.context': `${this.baseUrl}/$metadata#users('${user.id}')/photo/$entity`,
      '@odata.mediaContentType': metadata.contentType,
      '@odata.mediaEtag': metadata.etag,
      id: 'default',
      height: metadata.height,
      width: metadata.width,
    });
  }

  private async batch(req: IncomingMessage, arrivedAt: number): Promise<Answer> {
    this.counters.batchCalls++;
    const parsed = BatchBody.safeParse(await readJson(req));
    if (!parsed.success) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    const { requests } = parsed.data;
    if (requests.length === 0)
      return graphError(400, 'BadRequest', 'Invalid batch payload format: no requests.');
    if (requests.length > BATCH_LIMIT)
      return graphError(
        400,
        'BadRequest',
        `Number of batch requests ${requests.length} exceeds the limit of ${BATCH_LIMIT}.`,
      );
    if (new Set(requests.map((r) => r.id)).size !== requests.length)
      return graphError(400, 'BadRequest', 'Batch request ids must be unique.');
    this.counters.batchItems += requests.length;

    const items = await mapConcurrently(requests, BATCH_PARALLELISM, async (item) => {
      const answer = this.batchItem(item.method.toUpperCase(), item.url, arrivedAt);
      if (answer.stallMs) await this.sleep(answer.stallMs);
      return { id: item.id, answer };
    });
    const responses = items.map(({ id, answer }) => {
      this.commitDeadline(answer);
      return {
        id,
        status: answer.status,
        headers: answer.headers,
        body: answer.bytes ? answer.bytes.toString('base64') : answer.json,
      };
    });
    return jsonAnswer(200, { responses });
  }

  private batchItem(method: string, url: string, arrivedAt: number): Answer {
    const relative = url.startsWith('/') ? url : `/${url}`;
    // Graph resolves item URLs against the batch's version; repeating it is an error per item.
    if (/^\/(v1\.0|beta)(\/|$)/i.test(relative))
      return graphError(
        400,
        'BadRequest',
        `Invalid request URL '${url}': item URLs are relative to the version.`,
      );
    const parsed = new URL(relative, this.origin);
    const segments = pathSegments(parsed.pathname);
    if (segments === undefined) return graphError(400, 'BadRequest', `Malformed request URL '${url}'.`);
    return this.route({ method, segments, query: parsed.searchParams, inBatch: true, arrivedAt });
  }

  private noteArrival(resourceKey: string, arrivedAt: number): void {
    const deadline = this.deadlines.get(resourceKey);
    if (deadline === undefined) return;
    if (arrivedAt < deadline - EARLY_GRACE_MS) this.counters.earlyRequests++;
    else this.deadlines.delete(resourceKey);
  }

  /** Retry-After counts from when the client receives the answer, so the deadline starts at sending. */
  private commitDeadline(answer: Answer): void {
    if (answer.retryAfter !== undefined && answer.resourceKey)
      this.deadlines.set(answer.resourceKey, Date.now() + answer.retryAfter * 1000);
  }

  /** Seconds until a token is free, or undefined when the request may pass (and took a token). */
  private takeToken(): number | undefined {
    const rate = this.faults.throttleRps;
    if (rate === undefined || rate <= 0) return undefined;
    const now = Date.now();
    const capacity = Math.max(1, rate);
    if (this.bucket.rate !== rate) this.bucket = { rate, tokens: capacity, at: now };
    this.bucket.tokens = Math.min(capacity, this.bucket.tokens + ((now - this.bucket.at) / 1000) * rate);
    this.bucket.at = now;
    if (this.bucket.tokens >= 1) {
      this.bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.bucket.tokens) / rate));
  }

  /**
   * Uniform [0, 1) draws. The sequence restarts when `randomFailureSeed` changes, when the faults
   * are reset, and when the seed is posted to the control API, so a run can be replayed.
   */
  private drawRandom(): number {
    if (this.random.faults !== this.faults || this.random.seed !== this.faults.randomFailureSeed) {
      this.random = { faults: this.faults, seed: this.faults.randomFailureSeed, draws: 0 };
    }
    const digest = createHash('sha256').update(`${this.random.seed}:${this.random.draws++}`).digest();
    return digest.readUInt32BE(0) / 2 ** 32;
  }

  private async sleep(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.lifetime.signal });
  }

  private write(res: ServerResponse, answer: Answer): void {
    const body = answer.bytes ?? Buffer.from(JSON.stringify(answer.json));
    res.writeHead(answer.status, {
      ...answer.headers,
      'request-id': randomUUID(),
      'Content-Length': String(body.length),
    });
    if (answer.sabotage === 'truncate')
      res.write(body.subarray(0, halfLength(body)), () => res.socket?.end());
    else res.end(body);
  }

  /** `/_sim/…`: drives the fake tenant and faults from other processes (demo, benchmark). */
  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!this.authorized(req)) {
      this.write(
        res,
        graphError(
          401,
          'InvalidAuthenticationToken',
          'The simulator control API needs the same bearer token.',
        ),
      );
      return;
    }
    const method = req.method ?? 'GET';
    const segments = pathSegments(url.pathname)?.slice(1) ?? [];
    const route = `${method} ${segments.map((s, i) => (segments[0] === 'users' && i === 1 ? '{id}' : s)).join('/')}`;
    switch (route) {
      case 'GET counters':
        return this.write(res, jsonAnswer(200, this.counters));
      case 'POST counters/reset':
        this.resetCounters();
        return this.write(res, jsonAnswer(200, this.counters));
      case 'GET tenant':
        return this.write(res, jsonAnswer(200, { userCount: this.tenant.count }));
      case 'GET faults':
        return this.write(res, jsonAnswer(200, serializeFaults(this.faults)));
      case 'POST faults': {
        const patch = FaultPatch.safeParse(await readJson(req));
        if (!patch.success)
          return this.write(res, graphError(400, 'BadRequest', z.prettifyError(patch.error)));
        this.applyFaults(patch.data);
        return this.write(res, jsonAnswer(200, serializeFaults(this.faults)));
      }
      case 'POST mutate': {
        const body = MutateBody.safeParse(await readJson(req));
        if (!body.success) return this.write(res, graphError(400, 'BadRequest', z.prettifyError(body.error)));
        return this.write(
          res,
          this.tenantCall(() => jsonAnswer(200, this.tenant.mutate(body.data))),
        );
      }
      case 'GET users/{id}/photo': {
        const photo = this.tenant.photoOf(segments[1]);
        if (!photo) return this.write(res, noPhoto());
        return this.write(res, {
          status: 200,
          headers: { 'Content-Type': photo.contentType, ETag: photo.etag },
          bytes: photo.bytes,
        });
      }
      case 'POST users/{id}/photo': {
        const body = PhotoAction.safeParse(await readJson(req));
        if (!body.success) return this.write(res, graphError(400, 'BadRequest', z.prettifyError(body.error)));
        const id = segments[1];
        const actions = {
          change: () => this.tenant.changePhoto(id),
          reupload: () => this.tenant.reuploadPhoto(id),
          remove: () => this.tenant.removePhoto(id),
          add: () => this.tenant.addPhoto(id),
        };
        return this.write(
          res,
          this.tenantCall(() => {
            actions[body.data.action]();
            return jsonAnswer(200, {
              id: this.tenant.userById(id)!.id,
              photo: this.tenant.photoMetadataOf(id),
            });
          }),
        );
      }
      default:
        return this.write(
          res,
          graphError(404, 'NotFound', `Unknown simulator control route: ${method} ${url.pathname}`),
        );
    }
  }

  /** Tenant mutations throw on misuse (unknown user, no photo to re-upload); that is the caller's 4xx. */
  private tenantCall(call: () => Answer): Answer {
    try {
      return call();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return message.startsWith('Unknown user')
        ? graphError(404, 'Request_ResourceNotFound', message)
        : graphError(409, 'Conflict', message);
    }
  }

  private applyFaults(patch: z.infer<typeof FaultPatch>): void {
    if (patch.reset) this.resetFaults();
    const f = this.faults;
    const ids = (keys: string[]): Set<string> => new Set(keys.map((k) => this.userIdFor(k)));
    const byId = <V>(record: Record<string, V>): Map<string, V> =>
      new Map(Object.entries(record).map(([k, v]) => [this.userIdFor(k), v]));
    if (patch.permissionDenied !== undefined)
      f.permissionDenied =
        typeof patch.permissionDenied === 'boolean' ? patch.permissionDenied : ids(patch.permissionDenied);
    if (patch.throttle !== undefined) f.throttle = byId(patch.throttle);
    if (patch.throttleRps !== undefined) f.throttleRps = patch.throttleRps ?? undefined;
    if (patch.errorFor !== undefined) f.errorFor = byId(patch.errorFor);
    if (patch.randomFailureRate !== undefined) f.randomFailureRate = patch.randomFailureRate;
    if (patch.randomFailureSeed !== undefined) {
      f.randomFailureSeed = patch.randomFailureSeed;
      this.random.seed = Number.NaN;
    }
    if (patch.stallMs !== undefined) f.stallMs = patch.stallMs;
    if (patch.stallFor !== undefined) f.stallFor = patch.stallFor === 'all' ? 'all' : ids(patch.stallFor);
    if (patch.resetConnectionFor !== undefined) f.resetConnectionFor = ids(patch.resetConnectionFor);
    if (patch.truncateBodyFor !== undefined) f.truncateBodyFor = ids(patch.truncateBodyFor);
    if (patch.listFailAfterPages !== undefined) f.listFailAfterPages = patch.listFailAfterPages ?? undefined;
    if (patch.tokenRejected !== undefined) f.tokenRejected = patch.tokenRejected;
  }

  /** Fault keys are user ids; accept userPrincipalNames too, as Graph URLs do. */
  private userIdFor(key: string): string {
    return this.tenant.userById(key)?.id ?? key.toLowerCase();
  }
}

function emptyCounters(): SimulatorCounters {
  return {
    listPages: 0,
    batchCalls: 0,
    batchItems: 0,
    directMetadata: 0,
    directValue: 0,
    photoBytesServed: 0,
    earlyRequests: 0,
    throttled: 0,
    unauthorized: 0,
    requests: 0,
    requestsByHost: {},
  };
}

function jsonAnswer(status: number, json: unknown): Answer {
  return { status, headers: { 'Content-Type': JSON_TYPE }, json };
}

function graphError(status: number, code: string, message: string, retryAfter?: number): Answer {
  const answer = jsonAnswer(status, {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': randomUUID() },
    },
  });
  if (retryAfter !== undefined) {
    answer.retryAfter = retryAfter;
    answer.headers['Retry-After'] = String(retryAfter);
  }
  return answer;
}

function throttledAnswer(retryAfter: number): Answer {
  return graphError(429, 'TooManyRequests', 'Too many requests.', retryAfter);
}

function noPhoto(): Answer {
  return graphError(
    404,
    'ImageNotFound',
    "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
  );
}

function methodNotAllowed(method: string): Answer {
  return graphError(
    405,
    'Request_BadRequest',
    `Specified HTTP method '${method}' is not allowed for the request target.`,
  );
}

function halfLength(bytes: Buffer): number {
  return Math.floor(bytes.length / 2);
}

/** Decoded segments of a path; undefined when a segment is not valid percent-encoding. */
function pathSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Canonical property names, undefined without `$select`, or the first unknown name. */
function parseSelect(text: string | null): UserProperty[] | undefined | string {
  if (text === null) return undefined;
  const selected: UserProperty[] = [];
  for (const name of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const property = USER_PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!property) return name;
    if (!selected.includes(property)) selected.push(property);
  }
  return selected;
}

function projectUser(user: SimulatedUser, properties: readonly UserProperty[]): Record<string, unknown> {
  const projected: Record<string, unknown> = { id: user.id };
  for (const property of properties) {
    if (property === 'businessPhones') projected[property] = [];
    else projected[property] = property in user ? user[property as keyof SimulatedUser] : null;
  }
  return projected;
}

interface PagePosition {
  start: number;
  page: number;
}

function encodeSkipToken(position: PagePosition): string {
  return Buffer.from(`sim1:${position.start}:${position.page}`).toString('base64url');
}

function decodeSkipToken(token: string): PagePosition | undefined {
  const match = /^sim1:(\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? { start: Number(match[1]), page: Number(match[2]) } : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function serializeFaults(faults: SimulatorFaults): Record<string, unknown> {
  return {
    permissionDenied:
      faults.permissionDenied instanceof Set ? [...faults.permissionDenied] : faults.permissionDenied,
    throttle: Object.fromEntries(faults.throttle),
    throttleRps: faults.throttleRps ?? null,
    errorFor: Object.fromEntries(faults.errorFor),
    randomFailureRate: faults.randomFailureRate,
    randomFailureSeed: faults.randomFailureSeed,
    stallMs: faults.stallMs,
    stallFor: faults.stallFor === 'all' ? 'all' : [...faults.stallFor],
    resetConnectionFor: [...faults.resetConnectionFor],
    truncateBodyFor: [...faults.truncateBodyFor],
    listFailAfterPages: faults.listFailAfterPages ?? null,
    tokenRejected: faults.tokenRejected,
  };
}
