import { ResponseType, RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PhotoDownload } from '../domain/PhotoDecision';
import { isPhotoError, MAX_PHOTO_BYTES, photoTooLarge, verifyPhoto } from '../domain/PhotoImage';
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

/**
 * The bytes of one photo as a raw response, so status and headers survive; retried in the
 * process-wide line after `Retry-After`, then checked to be an image.
 */
export class PhotoDownloader {
  constructor(
    private readonly client: Client,
    private readonly options: PhotoGraphOptions,
    private readonly throttle: PhotoThrottle,
  ) {}

  /** `declaredContentType` is Graph's `@odata.mediaContentType`, cross-checked against the bytes. */
  async download(userId: string, declaredContentType?: string): Promise<PhotoDownload> {
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      await this.throttle.turn(1);
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
      if (!RETRYABLE_STATUSES.has(response.status)) this.throttle.accepted(1);
      if (
        !RETRYABLE_STATUSES.has(response.status) ||
        attempt >= this.options.maxAttempts ||
        wait > this.options.maxRetryWaitMs
      )
        break;
      this.throttle.holdBack(retryAfter);
      await response.arrayBuffer().catch(() => undefined);
      await sleep(this.throttle.beyondHold(wait));
    }
    if (!response.ok) {
      if (RETRYABLE_STATUSES.has(response.status))
        this.throttle.holdBack(response.headers.get('retry-after'));
      const answer = classifyGraphStatus(response.status, graphErrorCode(await readResponseJson(response)));
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
