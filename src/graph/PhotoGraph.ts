import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchRequestContent,
  BatchResponseContent,
  ResponseType,
  RetryHandlerOptions,
  type Client,
} from '@microsoft/microsoft-graph-client';
import type { PhotoDownload, PhotoMetadata } from '../domain/PhotoDecision';
import { isPhotoError, MAX_PHOTO_BYTES, photoTooLarge, verifyPhoto } from '../domain/PhotoImage';
import { MAX_USERS_PER_JOB } from '../domain/PhotoJob';
import { GraphPacer } from './GraphPacer';
import {
  classifyGraphStatus,
  classifyThrown,
  graphErrorCode,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from './GraphFailure';

export interface PhotoGraphOptions {
  /** Any absolute origin: the SDK strips scheme and host from `$batch` step URLs. */
  stepOrigin: string;
  /** Per Graph request, including the SDK's own retries of direct requests. */
  timeoutMs: number;
  /** Tries of one `$batch` item that Graph throttles (the first one included). */
  maxAttempts: number;
  /**
   * A `Retry-After` longer than this is not waited for: the user is `failed`/`throttled` and the
   * next run tries again.
   */
  maxRetryWaitMs: number;
}

export const DEFAULT_PHOTO_GRAPH_OPTIONS: Omit<PhotoGraphOptions, 'stepOrigin'> = {
  timeoutMs: 30_000,
  maxAttempts: 10,
  maxRetryWaitMs: 120_000,
};

interface ItemAnswer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/** Without `Retry-After`, wait 2, 4, 8… seconds: Graph's own advice for throttled requests. */
function backoffMs(attempt: number): number {
  return 2 ** attempt * 1000;
}

/**
 * Photo reads through the Graph SDK: metadata of up to 20 users in one `$batch`, with each
 * throttled item retried on its own after its `Retry-After` (the SDK's RetryHandler covers direct
 * requests only), and the bytes of one photo as a raw response, so status and headers survive.
 */
export class PhotoGraph {
  /** Graph throttles the app, not one request: one pacer for all of this process's photo requests. */
  private readonly pacer = new GraphPacer();

  constructor(
    private readonly client: Client,
    private readonly options: PhotoGraphOptions,
  ) {}

  /** A wait beyond `maxRetryWaitMs` is not held for: its own items fail as throttled, the rest go on. */
  private holdBack(retryAfter: string | null): void {
    const wait = retryAfterMs(retryAfter);
    if (wait !== undefined && wait <= this.options.maxRetryWaitMs) this.pacer.throttled(wait);
  }

  /** What is left of `waitMs` once the process-wide hold (waited for in line) is over. */
  private beyondHold(waitMs: number): number {
    return Math.max(0, Date.now() + waitMs - this.pacer.heldUntil);
  }

  async getMetadata(userIds: readonly string[]): Promise<Map<string, PhotoMetadata>> {
    if (userIds.length > MAX_USERS_PER_JOB)
      throw new RangeError(`a $batch holds at most ${MAX_USERS_PER_JOB} requests`);
    const results = new Map<string, PhotoMetadata>();
    let pending = [...userIds];
    for (let attempt = 1; pending.length > 0; attempt++) {
      await this.pacer.turn(pending.length);
      const answers = await this.batchMetadata(pending);
      this.pacer.accepted(
        [...answers.values()].filter(
          (answer) => answer instanceof Error || !RETRYABLE_STATUSES.has(answer.status),
        ).length,
      );
      const retry: string[] = [];
      let waitMs = 0;
      for (const userId of pending) {
        const answer = answers.get(userId);
        if (answer === undefined) {
          results.set(userId, {
            kind: 'failed',
            error: { code: 'graphError', message: 'Graph left this request out of its $batch answer.' },
          });
          continue;
        }
        if (answer instanceof Error) {
          results.set(userId, { kind: 'failed', error: classifyThrown(answer) });
          continue;
        }
        const wait = retryAfterMs(answer.retryAfter) ?? backoffMs(attempt);
        if (RETRYABLE_STATUSES.has(answer.status)) this.holdBack(answer.retryAfter);
        if (
          RETRYABLE_STATUSES.has(answer.status) &&
          attempt < this.options.maxAttempts &&
          wait <= this.options.maxRetryWaitMs
        ) {
          retry.push(userId);
          waitMs = Math.max(waitMs, wait);
          continue;
        }
        results.set(userId, toMetadata(answer));
      }
      // One wait for all throttled items: the longest Retry-After, so none is retried early. What
      // the process-wide hold covers is waited for in line, where these items are ahead of newer ones.
      if (retry.length > 0) await sleep(this.beyondHold(waitMs));
      pending = retry;
    }
    return results;
  }

  private async batchMetadata(userIds: readonly string[]): Promise<Map<string, ItemAnswer | Error>> {
    const steps = userIds.map((userId, index) => ({
      id: String(index + 1),
      request: new Request(`${this.options.stepOrigin}/users/${encodeURIComponent(userId)}/photo`, {
        method: 'GET',
      }),
    }));
    const answers = new Map<string, ItemAnswer | Error>();
    try {
      const batch = new BatchRequestContent(steps);
      const raw: unknown = await this.client
        .api('/$batch')
        .option('signal', AbortSignal.timeout(this.options.timeoutMs))
        .post(await batch.getContent());
      const responses = new BatchResponseContent(
        raw as ConstructorParameters<typeof BatchResponseContent>[0],
      );
      for (const [index, userId] of userIds.entries()) {
        const response = responses.getResponseById(String(index + 1));
        if (response === undefined) continue;
        answers.set(userId, {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await readJson(response),
        });
      }
    } catch (error) {
      // The $batch failed as a whole — one stalled item holds up the answer for all, or the
      // connection broke: each user is asked on their own, so one user's fault stays with that user.
      if (userIds.length > 1) return this.directMetadata(userIds);
      for (const userId of userIds)
        answers.set(userId, error instanceof Error ? error : new Error(String(error)));
    }
    return answers;
  }

  /**
   * `GET /users/{id}/photo` for each user at once (as many as one $batch holds), each with its own
   * timeout.
   */
  private async directMetadata(userIds: readonly string[]): Promise<Map<string, ItemAnswer | Error>> {
    const entries = await Promise.all(
      userIds.map(async (userId): Promise<[string, ItemAnswer | Error]> => {
        try {
          const response: Response = await this.client
            .api(`/users/${encodeURIComponent(userId)}/photo`)
            .responseType(ResponseType.RAW)
            .option('signal', AbortSignal.timeout(this.options.timeoutMs))
            .get();
          return [
            userId,
            {
              status: response.status,
              retryAfter: response.headers.get('retry-after'),
              body: await readJson(response),
            },
          ];
        } catch (error) {
          return [userId, error instanceof Error ? error : new Error(String(error))];
        }
      }),
    );
    return new Map(entries);
  }

  /** `declaredContentType` is Graph's `@odata.mediaContentType`, cross-checked against the bytes. */
  async download(userId: string, declaredContentType?: string): Promise<PhotoDownload> {
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      await this.pacer.turn(1);
      try {
        response = await this.client
          .api(`/users/${encodeURIComponent(userId)}/photo/$value`)
          .responseType(ResponseType.RAW)
          // Retried below, in the process-wide line, rather than by the SDK on its own schedule.
          .middlewareOptions([new RetryHandlerOptions(0, 0)])
          .option('signal', AbortSignal.timeout(this.options.timeoutMs))
          .get();
      } catch (error) {
        return { kind: 'failed', error: classifyThrown(error) };
      }
      const retryAfter = response.headers.get('retry-after');
      const wait = retryAfterMs(retryAfter) ?? backoffMs(attempt);
      if (!RETRYABLE_STATUSES.has(response.status)) this.pacer.accepted(1);
      if (
        !RETRYABLE_STATUSES.has(response.status) ||
        attempt >= this.options.maxAttempts ||
        wait > this.options.maxRetryWaitMs
      )
        break;
      this.holdBack(retryAfter);
      await response.arrayBuffer().catch(() => undefined);
      await sleep(this.beyondHold(wait));
    }
    if (!response.ok) {
      if (RETRYABLE_STATUSES.has(response.status)) this.holdBack(response.headers.get('retry-after'));
      const answer = classifyGraphStatus(response.status, graphErrorCode(await readJson(response)));
      return answer.kind === 'noPhoto' ? answer : { kind: 'failed', error: answer.error };
    }
    // A declared size over the limit is refused before a byte is read into memory.
    const declaredBytes = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declaredBytes > MAX_PHOTO_BYTES) {
      await response.body?.cancel();
      return { kind: 'failed', error: photoTooLarge(declaredBytes) };
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      const cause = classifyThrown(error);
      return {
        kind: 'failed',
        error:
          cause.code === 'timeout'
            ? cause
            : {
                code: 'truncatedPhoto',
                message: 'The photo download broke off before its end; nothing was stored.',
              },
      };
    }
    const photo = verifyPhoto(bytes, response.headers.get('content-type') ?? declaredContentType);
    return isPhotoError(photo) ? { kind: 'failed', error: photo } : { kind: 'photo', photo };
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function toMetadata(answer: ItemAnswer): PhotoMetadata {
  if (answer.status === 200) {
    const body = answer.body as Record<string, unknown> | undefined;
    const etag = body?.['@odata.mediaEtag'];
    if (typeof etag !== 'string' || etag === '') {
      return {
        kind: 'failed',
        error: { code: 'badMetadata', message: 'Graph returned photo metadata without @odata.mediaEtag.' },
      };
    }
    const contentType = body?.['@odata.mediaContentType'];
    return { kind: 'photo', etag, contentType: typeof contentType === 'string' ? contentType : undefined };
  }
  const answerKind = classifyGraphStatus(answer.status, graphErrorCode(answer.body));
  return answerKind.kind === 'noPhoto' ? answerKind : { kind: 'failed', error: answerKind.error };
}
