import type { ContainerClient } from '@azure/storage-blob';
import type { VerifiedPhoto } from '../domain/PhotoImage';
import { isNotFound } from './StorageErrors';

export interface StoredPhotoBlob {
  bytes: Buffer;
  contentType: string;
  /** Read from the blob itself, so it always describes the bytes served. */
  sha256: string;
}

/** Photo bytes in the private container, one blob per user named by object id. */
export class PhotoBlobStore {
  constructor(private readonly container: ContainerClient) {}

  async write(userId: string, photo: VerifiedPhoto): Promise<void> {
    await this.container.getBlockBlobClient(userId).uploadData(photo.bytes, {
      blobHTTPHeaders: { blobContentType: photo.contentType, blobCacheControl: 'private, max-age=0' },
      metadata: { sha256: photo.sha256 },
    });
  }

  async delete(userId: string): Promise<void> {
    await this.container.getBlockBlobClient(userId).deleteIfExists({ deleteSnapshots: 'include' });
  }

  async read(userId: string): Promise<StoredPhotoBlob | undefined> {
    const blob = this.container.getBlockBlobClient(userId);
    try {
      // One download answers bytes, type and metadata together: no second call, no race between them.
      const response = await blob.download();
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Buffer));
      return {
        bytes: Buffer.concat(chunks),
        contentType: response.contentType ?? 'application/octet-stream',
        sha256: response.metadata?.sha256 ?? '',
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every stored photo's name, for consistency checks and clean-up. */
  async *names(): AsyncGenerator<string> {
    for await (const blob of this.container.listBlobsFlat()) yield blob.name;
  }
}
