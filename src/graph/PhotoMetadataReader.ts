import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchRequestContent,
  BatchResponseContent,
  ResponseType,
  type Client,
} from '@microsoft/microsoft-graph-client';
import type { PhotoMetadata } from '../domain/PhotoDecision';
import { MAX_USERS_PER_JOB } from '../domain/PhotoJob';
import {
  classifyGraphStatus,
  classifyThrown,
  graphErrorCode,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from './GraphFailure';
import type { PhotoGraphOptions } from './PhotoGraph';
import { backoffMs, type PhotoThrottle } from './PhotoThrottle';
import { readResponseJson } from './readResponseJson';

interface ItemAnswer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/**
 * Photo metadata of up to 20 users in one `$batch`, each throttled item retried on its own after
 * its `Retry-After` (the SDK's RetryHandler covers direct requests only).
 */
export class PhotoMetadataReader {
  constructor(
    private readonly client: Client,
    private readonly options: PhotoGraphOptions,
    private readonly throttle: PhotoThrottle,
  ) {}

  async read(userIds: readonly string[]): Promise<Map<string, PhotoMetadata>> {
    if (userIds.length > MAX_USERS_PER_JOB)
      throw new RangeError(`a $batch holds at most ${MAX_USERS_PER_JOB} requests`);
    const results = new Map<string, PhotoMetadata>();
    let pending = [...userIds];
    for (let attempt = 1; pending.length > 0; attempt++) {
      await this.throttle.turn(pending.length);
      const answers = await this.batchMetadata(pending);
      this.throttle.accepted(
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
        if (RETRYABLE_STATUSES.has(answer.status)) this.throttle.holdBack(answer.retryAfter);
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
      if (retry.length > 0) await sleep(this.throttle.beyondHold(waitMs));
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
          body: await readResponseJson(response),
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
              body: await readResponseJson(response),
            },
          ];
        } catch (error) {
          return [userId, error instanceof Error ? error : new Error(String(error))];
        }
      }),
    );
    return new Map(entries);
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
