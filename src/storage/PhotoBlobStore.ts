import type { ContainerClient } from '@azure/storage-blob';
import type { VerifiedPhoto } from '../domain/PhotoImage';
import type { PhotoSize } from '../domain/PhotoSize';
import { isConflict, isNotFound, isPreconditionFailed } from './StorageErrors';

export interface StoredPhotoBlob {
  bytes: Buffer;
  contentType: string;
  /** Read from the blob itself, so it always describes the bytes served. */
  sha256: string;
}

/**
 * Sized copies live beside the photos under `sizes/<userId>/<sha256>-<size>.jpg`. Named by the
 * hash of the bytes they were made from, a copy can never be served for another photo, whatever
 * order writes and reads happen in; the user's folder is what a change or a removal clears.
 */
const SIZES = 'sizes/';

function sizesOf(userId: string): string {
  return `${SIZES}${userId}/`;
}

function sizedName(userId: string, sha256: string, size: PhotoSize): string {
  return `${sizesOf(userId)}${sha256}-${size}.jpg`;
}

/** Photo bytes in the private container, one blob per user named by object id, and their sized copies. */
export class PhotoBlobStore {
  constructor(private readonly container: ContainerClient) {}

  /** The photo, then its user's sized copies of any other photo are deleted: they can never be asked for again. */
  async write(userId: string, photo: VerifiedPhoto): Promise<void> {
    await this.container.getBlockBlobClient(userId).uploadData(photo.bytes, {
      blobHTTPHeaders: { blobContentType: photo.contentType, blobCacheControl: 'private, max-age=0' },
      metadata: { sha256: photo.sha256 },
    });
    await this.deleteSizes(userId, (name) => !name.startsWith(`${sizesOf(userId)}${photo.sha256}-`));
  }

  /** Every removal of a photo comes here: the photo and all its sized copies go. */
  async delete(userId: string): Promise<void> {
    await this.container.getBlockBlobClient(userId).deleteIfExists({ deleteSnapshots: 'include' });
    await this.deleteSizes(userId, () => true);
  }

  /** Whether anything of the user's is stored: the photo, or a sized copy of any photo. */
  async holdsAny(userId: string): Promise<boolean> {
    if (await this.container.getBlockBlobClient(userId).exists()) return true;
    const firstSized = await this.sizedNames(userId).next();
    return firstSized.done !== true;
  }

  async read(userId: string): Promise<StoredPhotoBlob | undefined> {
    return this.download(userId);
  }

  async readSized(userId: string, sha256: string, size: PhotoSize): Promise<Buffer | undefined> {
    return (await this.download(sizedName(userId, sha256, size)))?.bytes;
  }

  /** Made once: when two requests make the same copy at once, the first stored stays (they are equal). */
  async writeSized(userId: string, sha256: string, size: PhotoSize, jpeg: Buffer): Promise<void> {
    try {
      await this.container.getBlockBlobClient(sizedName(userId, sha256, size)).uploadData(jpeg, {
        blobHTTPHeaders: { blobContentType: 'image/jpeg' },
        metadata: { sha256, size: String(size) },
        conditions: { ifNoneMatch: '*' },
      });
    } catch (error) {
      // The service answers an existing blob with 409; some emulator versions with 412.
      if (!isConflict(error) && !isPreconditionFailed(error)) throw error;
    }
  }

  /** The names of a user's sized copies. */
  async *sizedNames(userId: string): AsyncGenerator<string> {
    for await (const blob of this.container.listBlobsFlat({ prefix: sizesOf(userId) })) yield blob.name;
  }

  /** Every stored photo's name (not the sized copies), for consistency checks and clean-up. */
  async *names(): AsyncGenerator<string> {
    // Flat and filtered by name: with listBlobsByHierarchy, a timing-sensitive reliability test
    // (GraphBrokenResponses, stall) failed reproducibly against Azurite, for a reason not found.
    for await (const blob of this.container.listBlobsFlat())
      if (!blob.name.startsWith(SIZES)) yield blob.name;
  }

  /** The users with sized copies, in id order, each once. */
  async *sizedOwners(): AsyncGenerator<string> {
    let last: string | undefined;
    for await (const blob of this.container.listBlobsFlat({ prefix: SIZES })) {
      const owner = blob.name.slice(SIZES.length, blob.name.indexOf('/', SIZES.length));
      if (owner !== last) yield owner;
      last = owner;
    }
  }

  private async deleteSizes(userId: string, stale: (name: string) => boolean): Promise<void> {
    const names: string[] = [];
    for await (const name of this.sizedNames(userId)) if (stale(name)) names.push(name);
    await Promise.all(
      names.map((name) =>
        this.container.getBlockBlobClient(name).deleteIfExists({ deleteSnapshots: 'include' }),
      ),
    );
  }

  private async download(name: string): Promise<StoredPhotoBlob | undefined> {
    const blob = this.container.getBlockBlobClient(name);
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
}
