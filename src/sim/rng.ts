// Seeded PRNG (mulberry32): tiny, fast, and good enough for test data. Every kill gets its own
// stream seeded from (seed, index), so kill N is the same bytes whatever was generated before it
// and entries can be regenerated on demand instead of being kept in memory.
import { createHash } from 'node:crypto';
import { mix32 } from './names.js';

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('Rng.pick on an empty list');
    return list[Math.floor(this.next() * list.length)] as T;
  }
}

/** A stream for one (seed, index, purpose) triple. */
export function rngFor(seed: number, index: number, salt = 0): Rng {
  return new Rng(mix32(mix32(seed ^ 0x5bd1e995) ^ mix32(index + salt * 0x27d4eb2d)));
}

/** 40 hex characters derived from a label, standing in for zKillboard's killmail hash. */
export function sha1Hex(label: string): string {
  return createHash('sha1').update(label).digest('hex');
}
