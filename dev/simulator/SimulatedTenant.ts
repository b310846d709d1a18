/**
 * A deterministic fake Entra ID tenant for the Graph simulator. Users and their photos are
 * computed from `(seed, index)` on request, so a 100k-user tenant costs almost no memory; only
 * users whose photo was changed through the mutation API are kept, in a sparse map.
 */
import { createHash } from 'node:crypto';
import { makeJpeg, makePng } from './SampleImages';
import { SimulatedGroups } from './SimulatedGroups';

export interface SimulatedTenantOptions {
  seed?: number;
  userCount: number;
  /** Every n-th user (1-based) has no photo; 0 gives everyone a photo. Default 7. */
  noPhotoEvery?: number;
  domain?: string;
  /** Edge length of user `index`'s photo, 48..648. Default: cycles 48, 64, 96, 120, 240. */
  photoSize?: (index: number) => number;
}

export interface SimulatedUser {
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  userPrincipalName: string;
  mail: string;
  accountEnabled: boolean;
}

/** Everything Graph's `/photo` metadata tells; cheap, no image is rendered for it. */
export interface PhotoMetadata {
  /** `image/jpeg` or `image/png` for generated photos; whatever `setPhoto` was given otherwise. */
  contentType: string;
  /** `W/"…"`; changes on every upload, even of identical bytes, like Graph's `@odata.mediaEtag`. */
  etag: string;
  width: number;
  height: number;
}

export interface Photo extends PhotoMetadata {
  bytes: Buffer;
}

export interface MutateOptions {
  /** Share (0..1) of the users with a photo that get a new upload. */
  changed: number;
  /** Of those, the share re-uploaded with identical bytes. Default 0.3. */
  reuploadShare?: number;
  /** Default: derived from the tenant seed and how many mutations ran before. */
  seed?: number;
}

export interface MutateResult {
  changedIds: string[];
  reuploadedIds: string[];
  /** Sum of the new photos' sizes over `changedIds` and `reuploadedIds`. */
  changedBytes: number;
}

/** A user's photo state when it differs from the generated default. */
interface PhotoOverride {
  present: boolean;
  /** Part of the image seed: bumping it changes the bytes. */
  contentVersion: number;
  /** Part of the etag: bumping it changes the etag only. */
  uploadCount: number;
  custom?: { bytes: Buffer; contentType: string; width: number; height: number };
}

const GIVEN_NAMES = [
  'Adele',
  'Alex',
  'Diego',
  'Grady',
  'Henrietta',
  'Isaiah',
  'Johanna',
  'Joni',
  'Lee',
  'Lidia',
  'Lynne',
  'Megan',
  'Miriam',
  'Nestor',
  'Patti',
  'Pradeep',
];
const SURNAMES = [
  'Vance',
  'Wilber',
  'Siciliani',
  'Archie',
  'Mueller',
  'Langer',
  'Lorenz',
  'Sherman',
  'Gu',
  'Holloway',
  'Robbins',
  'Bowen',
  'Graham',
  'Wilke',
  'Fernandez',
  'Gupta',
];
const DEFAULT_PHOTO_SIZES = [48, 64, 96, 120, 240];
const DISABLED_EVERY = 50;
const IMAGE_CACHE_ENTRIES = 256;
const DEFAULT_REUPLOAD_SHARE = 0.3;

export class SimulatedTenant {
  /** Users ever created, deleted ones included; `hire` adds one. */
  private userCount: number;
  private readonly seed: number;
  private readonly noPhotoEvery: number;
  private readonly domain: string;
  private readonly photoSize: (index: number) => number;
  private readonly overrides = new Map<number, PhotoOverride>();
  /** Users deleted from the directory: no longer listed, and unknown to `/users/{id}`. */
  private readonly deleted = new Set<number>();
  /** Rendered images by `index:contentVersion`, oldest first, so benchmark re-reads stay cheap. */
  private readonly imageCache = new Map<string, Buffer>();
  private mutations = 0;
  /** Display names changed through `rename`, by index. */
  private readonly renamed = new Map<number, string>();
  /** The directory's change counter, as a delta token records it: each core change takes the next value. */
  private changeVersion = 0;
  /** When each user's core attributes last changed (hired, renamed, deleted), by index. */
  private readonly changedAt = new Map<number, number>();
  /** The tenant's groups, for scope listings. */
  readonly groups = new SimulatedGroups(this);

  constructor(options: SimulatedTenantOptions) {
    if (!Number.isInteger(options.userCount) || options.userCount < 0)
      throw new RangeError(`userCount must be a non-negative integer, got ${options.userCount}`);
    this.userCount = options.userCount;
    this.seed = options.seed ?? 1;
    this.noPhotoEvery = options.noPhotoEvery ?? 7;
    this.domain = options.domain ?? 'contoso.example';
    this.photoSize =
      options.photoSize ?? ((index) => DEFAULT_PHOTO_SIZES[index % DEFAULT_PHOTO_SIZES.length]);
  }

  get count(): number {
    return this.userCount;
  }

  /** The change counter now: a delta round started now reports changes after it. */
  get version(): number {
    return this.changeVersion;
  }

  /** Indexes of the users whose core attributes changed after `version`, in index order. */
  changedSince(version: number): number[] {
    return [...this.changedAt]
      .filter(([, at]) => at > version)
      .map(([index]) => index)
      .sort((a, b) => a - b);
  }

  /** A new account, as an admin creating one does; it gets the next index and no photo override. */
  hire(): SimulatedUser {
    const index = this.userCount++;
    this.changedAt.set(index, ++this.changeVersion);
    return this.userAt(index);
  }

  /** Every user of the tenant, listed or not, in index order. */
  users(): SimulatedUser[] {
    return Array.from({ length: this.count }, (_, index) => this.userAt(index));
  }

  userAt(index: number): SimulatedUser {
    this.checkIndex(index);
    const h = sha1(`${this.seed}:${index}`);
    const givenName = GIVEN_NAMES[parseInt(h.slice(20, 24), 16) % GIVEN_NAMES.length];
    const surname = SURNAMES[parseInt(h.slice(24, 28), 16) % SURNAMES.length];
    const upn = `${givenName}.${surname}${index}@${this.domain}`.toLowerCase();
    return {
      id: this.idAt(index, h),
      displayName: this.renamed.get(index) ?? `${givenName} ${surname}`,
      givenName,
      surname,
      userPrincipalName: upn,
      mail: upn,
      accountEnabled: (index + 1) % DISABLED_EVERY !== 0,
    };
  }

  /**
   * The index of a user given its id or its userPrincipalName (case-insensitive), as Graph
   * accepts both in `/users/{id}`. Both encode the index, so no reverse map is needed.
   */
  indexOf(idOrUpn: string): number | undefined {
    const key = idOrUpn.toLowerCase();
    const index = key.includes('@') ? this.indexFromUpn(key) : this.indexFromId(key);
    if (index === undefined || index >= this.count || this.deleted.has(index)) return undefined;
    const user = this.userAt(index);
    return user.id === key || user.userPrincipalName === key ? index : undefined;
  }

  userById(idOrUpn: string): SimulatedUser | undefined {
    const index = this.indexOf(idOrUpn);
    return index === undefined ? undefined : this.userAt(index);
  }

  /** Photo metadata without rendering the image; null for unknown users and users without a photo. */
  photoMetadataOf(idOrUpn: string): PhotoMetadata | null {
    const index = this.indexOf(idOrUpn);
    if (index === undefined) return null;
    const state = this.stateAt(index);
    if (!state.present) return null;
    const etag = `W/"${createHash('sha256')
      .update(`${this.userAt(index).id}:${state.uploadCount}`)
      .digest('hex')}"`;
    if (state.custom)
      return {
        contentType: state.custom.contentType,
        etag,
        width: state.custom.width,
        height: state.custom.height,
      };
    const size = this.photoSize(index);
    return { contentType: index % 2 === 0 ? 'image/jpeg' : 'image/png', etag, width: size, height: size };
  }

  /** The photo with its bytes; null for unknown users and users without a photo. */
  photoOf(idOrUpn: string): Photo | null {
    const metadata = this.photoMetadataOf(idOrUpn);
    if (metadata === null) return null;
    const index = this.indexOf(idOrUpn)!;
    const state = this.stateAt(index);
    return {
      ...metadata,
      bytes: state.custom ? state.custom.bytes : this.render(index, state.contentVersion),
    };
  }

  /** A new upload with different bytes (and so a new etag). */
  changePhoto(idOrUpn: string): void {
    this.update(idOrUpn, true, (s) => ({
      present: true,
      contentVersion: s.contentVersion + 1,
      uploadCount: s.uploadCount + 1,
    }));
  }

  /** The same bytes uploaded again: only the etag changes, as in Graph. */
  reuploadPhoto(idOrUpn: string): void {
    this.update(idOrUpn, true, (s) => ({ ...s, uploadCount: s.uploadCount + 1 }));
  }

  removePhoto(idOrUpn: string): void {
    this.update(idOrUpn, true, (s) => ({ ...s, present: false }));
  }

  /** A new display name, as an admin editing the account does: a core attribute change. */
  rename(idOrUpn: string, displayName: string): void {
    const index = this.requireIndex(idOrUpn);
    this.renamed.set(index, displayName);
    this.changedAt.set(index, ++this.changeVersion);
  }

  /** Deletes the user from the directory, as an admin deleting an account does. */
  deleteUser(idOrUpn: string): void {
    const index = this.requireIndex(idOrUpn);
    this.deleted.add(index);
    this.changedAt.set(index, ++this.changeVersion);
  }

  /** Whether the user at this index is still in the directory (listed by `/users`). */
  isListed(index: number): boolean {
    this.checkIndex(index);
    return !this.deleted.has(index);
  }

  /** Uploads a photo for a user without one; the bytes differ from any earlier photo of theirs. */
  addPhoto(idOrUpn: string): void {
    this.update(idOrUpn, false, (s) => ({
      present: true,
      contentVersion: s.contentVersion + 1,
      uploadCount: s.uploadCount + 1,
    }));
  }

  /** Stores arbitrary bytes as the photo (tests use it for non-images and oversized photos). */
  setPhoto(idOrUpn: string, bytes: Buffer, contentType: string): void {
    const { width, height } = imageDimensions(bytes) ?? { width: 0, height: 0 };
    const index = this.requireIndex(idOrUpn);
    const state = this.stateAt(index);
    this.overrides.set(index, {
      ...state,
      present: true,
      uploadCount: state.uploadCount + 1,
      custom: { bytes: Buffer.from(bytes), contentType, width, height },
    });
  }

  /**
   * Uploads new photos for a deterministic sample of the users that have one: most get new
   * bytes, `reuploadShare` of them the same bytes again. Runs in O(userCount) time, O(sample) memory.
   */
  mutate(options: MutateOptions): MutateResult {
    const reuploadShare = options.reuploadShare ?? DEFAULT_REUPLOAD_SHARE;
    if (!(options.changed >= 0 && options.changed <= 1))
      throw new RangeError(`changed must be within 0..1, got ${options.changed}`);
    if (!(reuploadShare >= 0 && reuploadShare <= 1))
      throw new RangeError(`reuploadShare must be within 0..1, got ${reuploadShare}`);
    const seed = options.seed ?? this.seed * 7919 + this.mutations;
    this.mutations++;

    const withPhoto: number[] = [];
    for (let i = 0; i < this.count; i++)
      if (!this.deleted.has(i) && this.stateAt(i).present) withPhoto.push(i);
    const picked = sample(withPhoto, Math.round(options.changed * withPhoto.length), `${seed}:pick`);
    const reuploaded = new Set(sample(picked, Math.round(reuploadShare * picked.length), `${seed}:reupload`));

    const result: MutateResult = { changedIds: [], reuploadedIds: [], changedBytes: 0 };
    for (const index of picked) {
      const id = this.userAt(index).id;
      if (reuploaded.has(index)) {
        this.reuploadPhoto(id);
        result.reuploadedIds.push(id);
      } else {
        this.changePhoto(id);
        result.changedIds.push(id);
      }
      result.changedBytes += this.photoOf(id)!.bytes.length;
    }
    return result;
  }

  private idAt(index: number, h: string): string {
    // First 20 hex digits: hash (with GUID version/variant nibbles). Last 12: the index XOR a mask
    // derived from the first 20, so `indexOf` can recover the index from the id alone.
    const head = `${h.slice(0, 12)}4${h.slice(13, 16)}${'89ab'[parseInt(h[16], 16) & 3]}${h.slice(17, 20)}`;
    const tail = (BigInt(index) ^ this.idMask(head)).toString(16).padStart(12, '0');
    const hex = head + tail;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  private idMask(head: string): bigint {
    return BigInt(`0x${sha1(`${this.seed}/${head}`).slice(0, 12)}`);
  }

  private indexFromId(id: string): number | undefined {
    const hex = id.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
    const index = BigInt(`0x${hex.slice(20)}`) ^ this.idMask(hex.slice(0, 20));
    return index < BigInt(this.count) ? Number(index) : undefined;
  }

  private indexFromUpn(upn: string): number | undefined {
    const match = /(\d+)@/.exec(upn);
    return match ? Number(match[1]) : undefined;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.count)
      throw new RangeError(`No user at index ${index} (tenant has ${this.count})`);
  }

  private requireIndex(idOrUpn: string): number {
    const index = this.indexOf(idOrUpn);
    if (index === undefined) throw new Error(`Unknown user ${idOrUpn}`);
    return index;
  }

  private stateAt(index: number): PhotoOverride {
    const override = this.overrides.get(index);
    if (override) return override;
    const present = this.noPhotoEvery <= 0 || (index + 1) % this.noPhotoEvery !== 0;
    return { present, contentVersion: 0, uploadCount: present ? 1 : 0 };
  }

  /** Applies a photo change, refusing ones that make no sense for the user's current state. */
  private update(idOrUpn: string, needsPhoto: boolean, next: (state: PhotoOverride) => PhotoOverride): void {
    const index = this.requireIndex(idOrUpn);
    const state = this.stateAt(index);
    if (state.present !== needsPhoto)
      throw new Error(needsPhoto ? `User ${idOrUpn} has no photo` : `User ${idOrUpn} already has a photo`);
    this.overrides.set(index, next(state));
  }

  private render(index: number, contentVersion: number): Buffer {
    const key = `${index}:${contentVersion}`;
    const cached = this.imageCache.get(key);
    if (cached) {
      this.imageCache.delete(key);
      this.imageCache.set(key, cached);
      return cached;
    }
    const imageSeed = parseInt(sha1(`${this.seed}:${index}:${contentVersion}`).slice(0, 8), 16);
    const size = this.photoSize(index);
    const bytes = index % 2 === 0 ? makeJpeg(imageSeed, size) : makePng(imageSeed, size);
    this.imageCache.set(key, bytes);
    if (this.imageCache.size > IMAGE_CACHE_ENTRIES)
      this.imageCache.delete(this.imageCache.keys().next().value!);
    return bytes;
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** `k` items of `items`, in their order, chosen by selection sampling with hash-derived draws. */
function sample<T>(items: readonly T[], k: number, seed: string): T[] {
  const chosen: T[] = [];
  for (let i = 0; i < items.length && chosen.length < k; i++) {
    const draw = createHash('sha1').update(`${seed}:${i}`).digest().readUInt32BE(0) / 2 ** 32;
    if (draw * (items.length - i) < k - chosen.length) chosen.push(items[i]);
  }
  return chosen;
}

/** Width and height from a PNG or baseline/progressive JPEG header, so `setPhoto` metadata is plausible. */
function imageDimensions(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47)
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  for (let o = 2; o + 9 < bytes.length;) {
    if (bytes[o] !== 0xff) return undefined;
    const marker = bytes[o + 1];
    if (marker >= 0xc0 && marker <= 0xc3)
      return { width: bytes.readUInt16BE(o + 7), height: bytes.readUInt16BE(o + 5) };
    o += 2 + bytes.readUInt16BE(o + 2);
  }
  return undefined;
}
