/**
 * A small seeded PRNG (mulberry32) whose whole state is one uint32, so a checkpoint can store it
 * and `--resume` continues the exact same shuffle and augmentation stream.
 */
export class Rng {
  constructor(private s: number) {
    this.s = s >>> 0;
  }
  get state(): number {
    return this.s;
  }
  set state(v: number) {
    this.s = v >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { [i: number]: number; length: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
    return a;
  }
}

/** Picks `perClass` indices of every class at random (seeded), returned in ascending order. */
export function stratifiedIndices(labels: Uint8Array, numClasses: number, perClass: number, seed: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const idx: number[] = [];
    labels.forEach((l, i) => {
      if (l === c) idx.push(i);
    });
    rng.shuffle(idx);
    out.push(...idx.slice(0, perClass));
  }
  return out.sort((a, b) => a - b);
}
