import type { DType } from './dtype.js';
import { isFloating, typedArrayFor } from './dtype.js';
import { DTypeError, IndexError } from './errors.js';
import type { Shape } from './shape.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';
import { fromTypedArray } from './create.js';

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). Same seed, same
 * numbers on every platform; its state can be saved and restored for exact resumption.
 */
export class Generator {
  private s = new Uint32Array(4);
  private seed = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new IndexError(`manualSeed: seed must be a finite number, got ${seed}`);
    this.seed = seed;
    // splitmix32 over both halves of the seed, so that large seeds differ too.
    let x = (Math.floor(seed) >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b1);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spareNormal = null;
    return this;
  }

  initialSeed(): number {
    return this.seed;
  }

  /** The full state, JSON-serializable (for checkpoints). */
  getState(): { seed: number; s: number[]; spare: number | null } {
    return { seed: this.seed, s: Array.from(this.s), spare: this.spareNormal };
  }

  setState(state: { seed: number; s: readonly number[]; spare: number | null }): this {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new IndexError('Generator.setState: expected a state returned by getState()');
    }
    this.seed = state.seed;
    this.s.set(state.s);
    this.spareNormal = state.spare;
    return this;
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    return low + Math.floor(this.nextDouble() * (high - low));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator used when an op is not given one; seeded with a fixed default like PyTorch's. */
export const defaultGenerator = new Generator(67280421310721);

/** Seeds the default generator (same seed, same numbers); returns it. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

export interface RandomOptions {
  dtype?: DType;
  generator?: Generator;
  requiresGrad?: boolean;
}

function filled(op: string, shape: Shape, opts: RandomOptions, draw: (g: Generator) => number): Tensor {
  const s = checkShape(op, shape);
  const dtype = opts.dtype ?? 'float32';
  if (!isFloating(dtype)) throw new DTypeError(`${op}: dtype must be floating point, got ${dtype}`);
  const g = opts.generator ?? defaultGenerator;
  const v = typedArrayFor(dtype, sizeOf(s));
  for (let i = 0; i < v.length; i++) v[i] = draw(g);
  const t = fromTypedArray(v, s);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Uniform samples in [0, 1). */
export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  return filled('rand', shape, opts, (g) => g.nextDouble());
}

/** Standard normal samples. */
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  return filled('randn', shape, opts, (g) => g.nextNormal());
}

export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { dtype: t.dtype, ...opts });
}

export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { dtype: t.dtype, ...opts });
}

/** Uniform samples in [low, high) (PyTorch's tensor.uniform_ as a creation function). */
export function uniform(shape: Shape, low = 0, high = 1, opts: RandomOptions = {}): Tensor {
  return filled('uniform', shape, opts, (g) => low + (high - low) * g.nextDouble());
}

/**
 * Normal samples with the given mean and standard deviation: normal(mean, std, size) in
 * torch.normal's order; normal(size, mean = 0, std = 1) is accepted too.
 */
export function normal(mean: number, std: number, size: Shape, opts?: RandomOptions): Tensor;
export function normal(size: Shape, mean?: number, std?: number, opts?: RandomOptions): Tensor;
export function normal(
  a: number | Shape,
  b?: number | Shape,
  c?: number | Shape,
  opts: RandomOptions = {},
): Tensor {
  const [mean, std, shape] = Array.isArray(a)
    ? [(b as number | undefined) ?? 0, (c as number | undefined) ?? 1, a]
    : [a as number, b as number, c as Shape];
  if (!Number.isFinite(mean) || !(std >= 0) || !Number.isFinite(std)) {
    throw new IndexError(`normal: expected a finite mean and std >= 0, got mean=${mean}, std=${std}`);
  }
  return filled('normal', shape, opts, (g) => mean + std * g.nextNormal());
}

/** Random integers in [low, high): randint(high, shape) or randint(low, high, shape), int32. */
export function randint(high: number, shape: Shape, opts?: RandomOptions): Tensor;
export function randint(low: number, high: number, shape: Shape, opts?: RandomOptions): Tensor;
export function randint(a: number, b: number | Shape, c?: Shape | RandomOptions, d?: RandomOptions): Tensor {
  const [low, high, shape, opts] =
    typeof b === 'number' ? [a, b, c as Shape, d ?? {}] : [0, a, b, (c as RandomOptions | undefined) ?? {}];
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new IndexError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  const s = checkShape('randint', shape);
  const g = opts.generator ?? defaultGenerator;
  const v = typedArrayFor(opts.dtype ?? 'int32', sizeOf(s));
  for (let i = 0; i < v.length; i++) v[i] = g.nextInt(low, high);
  return fromTypedArray(v, s);
}

/** A random permutation of 0 … n−1 as plain numbers (Fisher–Yates, the draws randperm makes). */
export function permutation(n: number, generator: Generator = defaultGenerator): number[] {
  const v = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const tmp = v[i];
    v[i] = v[j];
    v[j] = tmp;
  }
  return v;
}

/** A random permutation of 0 … n−1 (int32). */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0)
    throw new IndexError(`randperm: n must be a non-negative integer, got ${n}`);
  const v = Int32Array.from(permutation(n, opts.generator ?? defaultGenerator));
  return fromTypedArray(
    opts.dtype && opts.dtype !== 'int32' ? typedArrayFor(opts.dtype, n).map((_, i) => v[i]) : v,
    [n],
  );
}
