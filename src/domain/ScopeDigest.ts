import { createHash } from 'node:crypto';

/** Buckets by the first three hex digits of an object id: about 12 members each in a 50k group. */
export const SCOPE_BUCKETS = 4096;

const DIRTY = 0xffffffff;

export function bucketOf(userId: string): number {
  return parseInt(userId.slice(0, 3), 16);
}

/** The bucket's key range: object ids starting with its three hex digits. */
export function bucketRange(bucket: number): { from: string; before: string } {
  const from = bucket.toString(16).padStart(3, '0');
  const before = bucket === SCOPE_BUCKETS - 1 ? 'g' : (bucket + 1).toString(16).padStart(3, '0');
  return { from, before };
}

/**
 * An order-free fingerprint of a member set, per bucket: the count and the XOR of each member's
 * hash. Graph lists members in no useful order and has no delta for transitive membership, so a
 * listing is compared with what is stored bucket by bucket, in 48 KiB whatever the group's size:
 * equal buckets need no write, and only the members of the others are ever held in memory.
 */
export class BucketDigests {
  private constructor(private readonly words: Uint32Array) {}

  static empty(): BucketDigests {
    return new BucketDigests(new Uint32Array(SCOPE_BUCKETS * 3));
  }

  static fromBytes(bytes: Uint8Array): BucketDigests | undefined {
    if (bytes.byteLength !== SCOPE_BUCKETS * 12) return undefined;
    const copy = new Uint8Array(bytes);
    return new BucketDigests(new Uint32Array(copy.buffer, copy.byteOffset, SCOPE_BUCKETS * 3));
  }

  static of(userIds: Iterable<string>): BucketDigests {
    const digests = BucketDigests.empty();
    for (const userId of userIds) digests.add(userId);
    return digests;
  }

  toBytes(): Uint8Array {
    return new Uint8Array(this.words.buffer.slice(0));
  }

  add(userId: string): void {
    const hash = createHash('sha1').update(userId).digest();
    const at = bucketOf(userId) * 3;
    this.words[at] += 1;
    this.words[at + 1] ^= hash.readUInt32LE(0);
    this.words[at + 2] ^= hash.readUInt32LE(4);
  }

  count(bucket: number): number {
    const count = this.words[bucket * 3];
    return count === DIRTY ? 0 : count;
  }

  /** Marks a bucket whose stored members are being rewritten: it matches no listing until done. */
  markDirty(bucket: number): void {
    this.words[bucket * 3] = DIRTY;
  }

  /** The bucket's digest made afresh from exactly these members. */
  setBucket(bucket: number, userIds: Iterable<string>): void {
    this.words.fill(0, bucket * 3, bucket * 3 + 3);
    for (const userId of userIds) this.add(userId);
  }

  /** The buckets where the two sets differ, in key order. */
  differingBuckets(other: BucketDigests): number[] {
    const buckets: number[] = [];
    for (let bucket = 0; bucket < SCOPE_BUCKETS; bucket++) {
      const at = bucket * 3;
      if (
        this.words[at] !== other.words[at] ||
        this.words[at + 1] !== other.words[at + 1] ||
        this.words[at + 2] !== other.words[at + 2]
      )
        buckets.push(bucket);
    }
    return buckets;
  }
}
