import type { Client } from '@microsoft/microsoft-graph-client';
import type { PhotoDownload, PhotoMetadata } from '../domain/PhotoDecision';
import { PhotoDownloader } from './PhotoDownloader';
import { PhotoMetadataReader } from './PhotoMetadataReader';
import { PhotoThrottle } from './PhotoThrottle';

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

/**
 * Photo reads through the Graph SDK: metadata of up to 20 users in one `$batch`
 * (PhotoMetadataReader) and the bytes of one photo (PhotoDownloader), paced together
 * (PhotoThrottle).
 */
export class PhotoGraph {
  private readonly metadata: PhotoMetadataReader;
  private readonly downloader: PhotoDownloader;

  constructor(client: Client, options: PhotoGraphOptions) {
    const throttle = new PhotoThrottle(options.maxRetryWaitMs);
    this.metadata = new PhotoMetadataReader(client, options, throttle);
    this.downloader = new PhotoDownloader(client, options, throttle);
  }

  getMetadata(userIds: readonly string[]): Promise<Map<string, PhotoMetadata>> {
    return this.metadata.read(userIds);
  }

  /** `declaredContentType` is Graph's `@odata.mediaContentType`, cross-checked against the bytes. */
  download(userId: string, declaredContentType?: string): Promise<PhotoDownload> {
    return this.downloader.download(userId, declaredContentType);
  }
}
