import { createHash } from 'node:crypto';

/** Uniform draws in [0, 1) from a seed, so a chaos or load run can be replayed with `--seed`. */
export class SeededRandom {
  private draws = 0;

  constructor(private readonly seed: number) {}

  next(): number {
    const digest = createHash('sha256').update(`${this.seed}:${this.draws++}`).digest();
    return digest.readUInt32BE(0) / 2 ** 32;
  }

  /** A whole number in [0, below). */
  below(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('nothing to pick from');
    return items[this.below(items.length)];
  }
}
