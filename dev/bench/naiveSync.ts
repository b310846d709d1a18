import { ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import { isPhotoError, verifyPhoto } from '../../src/domain/PhotoImage';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import type { IdentityStore } from '../../src/storage/IdentityStore';
import type { PhotoBlobStore } from '../../src/storage/PhotoBlobStore';

export interface NaiveSyncDeps {
  /** The app's Graph SDK client: same middleware, retries and connection handling as ours. */
  client: Client;
  identities: IdentityStore;
  photoBlobs: PhotoBlobStore;
  /** Users in flight at once. */
  concurrency: number;
  timeoutMs: number;
  onUserChecked?: () => void;
}

export interface NaiveResult {
  users: number;
  written: number;
  unchanged: number;
  noPhoto: number;
  failed: number;
}

/**
 * The way most photo-sync scripts work, as the benchmark's yardstick: for every listed user, one
 * `GET /users/{id}/photo/$value` (no `$batch`, no ETag), its SHA-256 compared with the stored one,
 * and the blob and record written when they differ.
 */
export async function naiveSync(
  userPages: AsyncIterable<DirectoryUser[]>,
  deps: NaiveSyncDeps,
): Promise<NaiveResult> {
  const result: NaiveResult = { users: 0, written: 0, unchanged: 0, noPhoto: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  for await (const page of userPages) {
    for (const user of page) {
      if (inFlight.size >= deps.concurrency) await Promise.race(inFlight);
      const work = syncUser(user.id, deps).then((outcome) => {
        result[outcome]++;
        result.users++;
        deps.onUserChecked?.();
      });
      const tracked = work.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
  }
  await Promise.all(inFlight);
  return result;
}

async function syncUser(
  userId: string,
  deps: NaiveSyncDeps,
): Promise<'written' | 'unchanged' | 'noPhoto' | 'failed'> {
  let answer: { status: number; contentType: string | undefined; body: Buffer };
  let stored: string | undefined;
  try {
    // The body is read under the same timeout as the request: a slow store beside it must not
    // leave an answer to be read after its signal has fired.
    const [record, response] = await Promise.all([
      deps.identities.get(userId, ['photoSha256']),
      (
        deps.client
          .api(`/users/${encodeURIComponent(userId)}/photo/$value`)
          .responseType(ResponseType.RAW)
          .option('signal', AbortSignal.timeout(deps.timeoutMs))
          .get() as Promise<Response>
      ).then(async (raw) => ({
        status: raw.status,
        contentType: raw.headers.get('content-type') ?? undefined,
        body: Buffer.from(await raw.arrayBuffer()),
      })),
    ]);
    stored = record?.photoSha256;
    answer = response;
  } catch {
    return 'failed';
  }
  if (answer.status === 404) return 'noPhoto';
  if (answer.status < 200 || answer.status > 299) return 'failed';
  const photo = verifyPhoto(answer.body, answer.contentType);
  if (isPhotoError(photo)) return 'failed';
  if (photo.sha256 === stored) return 'unchanged';
  const at = new Date().toISOString();
  await deps.photoBlobs.write(userId, photo);
  await deps.identities.writePhotoFields([
    {
      userId,
      fields: {
        photoSha256: photo.sha256,
        photoContentType: photo.contentType,
        photoBytes: photo.bytes.length,
        photoVerifiedAt: at,
        lastChangedAt: at,
      },
    },
  ]);
  return 'written';
}
