/**
 * Image transforms for training, after torchvision.transforms: Compose, RandomCrop,
 * RandomHorizontalFlip and Normalize. Each takes one image [C, H, W] or a batch [N, C, H, W]; in a
 * batch every image gets its own random choice. The work is done on host arrays in one pass (much
 * faster than per-image tensor ops), and the result records no autograd history: transforms
 * prepare data, they are not part of a model.
 */
import { fromTypedArray } from '../tensor/create.js';
import type { TypedArray } from '../tensor/dtype.js';
import { isFloating, typedArrayFor } from '../tensor/dtype.js';
import { BackendError, DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { Generator, defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Anything with forward(image) → image. */
export interface Transform {
  forward(x: Tensor): Tensor;
}

/** A transform object or a plain function of a tensor. */
export type TransformLike = Transform | ((x: Tensor) => Tensor);

interface Layout {
  n: number;
  c: number;
  h: number;
  w: number;
}

function layout(op: string, x: Tensor): Layout {
  if (x.ndim === 3) return { n: 1, c: x.shape[0], h: x.shape[1], w: x.shape[2] };
  if (x.ndim === 4) return { n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3] };
  throw new ShapeError(
    `${op}: expected an image [C, H, W] or a batch [N, C, H, W], got ${fmtShape(x.shape)}`,
  );
}

/**
 * The image's elements on the host: transforms are data-pipeline steps over host arrays (as
 * torchvision's run on the CPU), so a batch on a device backend that cannot read synchronously is refused.
 */
function hostData(op: string, x: Tensor): TypedArray {
  const be = x.storage.backend;
  if (!be.canReadSync) {
    throw new BackendError(
      `${op}: transforms run on host data, but this batch is on the '${be.name}' backend, which cannot ` +
        `read synchronously; apply ${op} to the batch on 'js' or 'wasm' before it goes to '${be.name}'`,
    );
  }
  return x.dataSync();
}

function generatorOf(op: string, g: Generator | undefined): Generator {
  if (g !== undefined && !(g instanceof Generator))
    throw new IndexError(`${op}: generator must be a Generator`);
  return g ?? defaultGenerator;
}

/** Applies transforms in order (torchvision's Compose). */
export class Compose implements Transform {
  readonly transforms: readonly TransformLike[];

  constructor(transforms: readonly TransformLike[]) {
    transforms.forEach((t, i) => {
      if (typeof t !== 'function' && typeof (t as Transform)?.forward !== 'function') {
        throw new IndexError(`Compose: transform ${i} is neither a function nor an object with forward()`);
      }
    });
    this.transforms = [...transforms];
  }

  forward(x: Tensor): Tensor {
    for (const t of this.transforms) x = typeof t === 'function' ? t(x) : t.forward(x);
    return x;
  }

  toString(): string {
    const inner = this.transforms.map(
      (t) => `    ${typeof t === 'function' ? t.name || 'function' : String(t)}`,
    );
    return `Compose(\n${inner.join('\n')}\n)`;
  }
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

export interface RandomCropOptions {
  /** All sides; [left/right, top/bottom]; or [left, top, right, bottom] (torchvision's order). */
  padding?: number | readonly number[];
  /** Pads images smaller than the crop size up to it, as torchvision's pad_if_needed. */
  padIfNeeded?: boolean;
  /** Value of 'constant' padding: one for all channels or one per channel (default 0). */
  fill?: number | readonly number[];
  paddingMode?: PaddingMode;
  generator?: Generator;
}

/** Crops a random size[0] × size[1] window, after optional padding (torchvision's RandomCrop). */
export class RandomCrop implements Transform {
  readonly size: readonly [number, number];
  /** Left, top, right, bottom. */
  readonly padding: readonly [number, number, number, number];
  readonly padIfNeeded: boolean;
  readonly fill: number | readonly number[];
  readonly paddingMode: PaddingMode;
  readonly generator: Generator;

  constructor(size: number | readonly [number, number], opts: RandomCropOptions = {}) {
    const s = typeof size === 'number' ? [size, size] : size;
    if (s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
      throw new IndexError(
        `RandomCrop: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`,
      );
    }
    this.size = [s[0], s[1]];
    this.padding = normalizePadding(opts.padding ?? 0);
    this.padIfNeeded = opts.padIfNeeded ?? false;
    this.fill = opts.fill ?? 0;
    this.paddingMode = opts.paddingMode ?? 'constant';
    if (!['constant', 'edge', 'reflect', 'symmetric'].includes(this.paddingMode)) {
      throw new IndexError(
        `RandomCrop: paddingMode must be constant, edge, reflect or symmetric, got '${this.paddingMode}'`,
      );
    }
    this.generator = generatorOf('RandomCrop', opts.generator);
  }

  forward(x: Tensor): Tensor {
    const op = 'RandomCrop';
    const { n, c, h, w } = layout(op, x);
    const [th, tw] = this.size;
    let [pl, pt, pr, pb] = this.padding;
    if (this.padIfNeeded) {
      // As torchvision: both sides grow by the whole shortfall left after the fixed padding.
      const dh = Math.max(0, th - (h + pt + pb));
      const dw = Math.max(0, tw - (w + pl + pr));
      [pl, pt, pr, pb] = [pl + dw, pt + dh, pr + dw, pb + dh];
    }
    const hp = h + pt + pb;
    const wp = w + pl + pr;
    if (th > hp || tw > wp) {
      throw new ShapeError(
        `${op}: crop size [${th}, ${tw}] is larger than the ${pl + pt + pr + pb > 0 ? 'padded ' : ''}image [${hp}, ${wp}] (input ${fmtShape(x.shape)})`,
      );
    }
    const mode = this.paddingMode;
    if (mode === 'reflect' || mode === 'symmetric') {
      const limitH = mode === 'reflect' ? h - 1 : h;
      const limitW = mode === 'reflect' ? w - 1 : w;
      if (Math.max(pt, pb) > limitH || Math.max(pl, pr) > limitW) {
        throw new IndexError(
          `${op}: ${mode} padding [${pl}, ${pt}, ${pr}, ${pb}] must be at most ${mode === 'reflect' ? 'one less than ' : ''}the image size [${h}, ${w}]`,
        );
      }
    }
    const fill = channelValues(op, 'fill', this.fill, c);
    const src = hostData(op, x);
    const out = typedArrayFor(x.dtype, n * c * th * tw);
    const rows = new Int32Array(th);
    const cols = new Int32Array(tw);
    const plane = h * w;
    for (let s = 0; s < n; s++) {
      // No draw when the window covers the whole padded image (as torchvision's get_params).
      const top = hp === th && wp === tw ? 0 : this.generator.nextInt(0, hp - th + 1);
      const left = hp === th && wp === tw ? 0 : this.generator.nextInt(0, wp - tw + 1);
      for (let y = 0; y < th; y++) rows[y] = sourceIndex(top + y - pt, h, mode);
      for (let x0 = 0; x0 < tw; x0++) cols[x0] = sourceIndex(left + x0 - pl, w, mode);
      for (let ch = 0; ch < c; ch++) {
        const inBase = (s * c + ch) * plane;
        let o = (s * c + ch) * th * tw;
        for (let y = 0; y < th; y++) {
          const r = rows[y];
          for (let x0 = 0; x0 < tw; x0++, o++) {
            const q = cols[x0];
            out[o] = r < 0 || q < 0 ? fill[ch] : src[inBase + r * w + q];
          }
        }
      }
    }
    return fromTypedArray(out, x.ndim === 3 ? [c, th, tw] : [n, c, th, tw]);
  }

  toString(): string {
    return `RandomCrop(size=(${this.size.join(', ')}), padding=(${this.padding.join(', ')}))`;
  }
}

/** Where padded coordinate i (of a length-n axis) reads from; -1 for the constant fill. */
function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect': // d c b | a b c d | c b a: the edge pixel is not repeated.
      return i < 0 ? -i : 2 * (n - 1) - i;
    case 'symmetric': // c b a | a b c d | d c b: the edge pixel is repeated.
      return i < 0 ? -i - 1 : 2 * n - 1 - i;
  }
}

function normalizePadding(p: number | readonly number[]): [number, number, number, number] {
  const v = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : [...p];
  if (v.length !== 4 || !v.every((k) => Number.isInteger(k) && k >= 0)) {
    throw new IndexError(
      `RandomCrop: padding must be an integer >= 0, [left/right, top/bottom] or [left, top, right, bottom], got ${JSON.stringify(p)}`,
    );
  }
  return [v[0], v[1], v[2], v[3]];
}

function channelValues(op: string, name: string, v: number | readonly number[], c: number): number[] {
  const list = typeof v === 'number' ? [v] : [...v];
  if (list.length !== 1 && list.length !== c) {
    throw new ShapeError(`${op}: ${name} has ${list.length} values for ${c} channels (give 1 or ${c})`);
  }
  if (!list.every(Number.isFinite))
    throw new IndexError(`${op}: ${name} must be finite, got [${list.join(', ')}]`);
  return list.length === 1 ? new Array<number>(c).fill(list[0]) : list;
}

export interface RandomOptionsLike {
  generator?: Generator;
}

/** Mirrors each image left to right with probability p (torchvision's RandomHorizontalFlip). */
export class RandomHorizontalFlip implements Transform {
  readonly generator: Generator;

  constructor(
    readonly p = 0.5,
    opts: RandomOptionsLike = {},
  ) {
    if (!(p >= 0 && p <= 1)) throw new IndexError(`RandomHorizontalFlip: p must be in [0, 1], got ${p}`);
    this.generator = generatorOf('RandomHorizontalFlip', opts.generator);
  }

  forward(x: Tensor): Tensor {
    const { n, c, h, w } = layout('RandomHorizontalFlip', x);
    const src = hostData('RandomHorizontalFlip', x);
    const out = typedArrayFor(x.dtype, src.length);
    const size = c * h * w;
    for (let s = 0; s < n; s++) {
      const base = s * size;
      if (this.generator.nextDouble() < this.p) {
        for (let r = base; r < base + size; r += w)
          for (let k = 0; k < w; k++) out[r + k] = src[r + w - 1 - k];
      } else {
        out.set(src.subarray(base, base + size), base);
      }
    }
    return fromTypedArray(out, x.shape);
  }

  toString(): string {
    return `RandomHorizontalFlip(p=${this.p})`;
  }
}

/** (x − mean[c]) / std[c] for each channel c (torchvision's Normalize); floating-point images only. */
export class Normalize implements Transform {
  readonly mean: readonly number[];
  readonly std: readonly number[];

  constructor(mean: number | readonly number[], std: number | readonly number[]) {
    this.mean = typeof mean === 'number' ? [mean] : [...mean];
    this.std = typeof std === 'number' ? [std] : [...std];
    if (this.mean.length === 0 || this.std.length === 0)
      throw new ShapeError('Normalize: mean and std must not be empty');
    if (![...this.mean, ...this.std].every(Number.isFinite)) {
      throw new IndexError(
        `Normalize: mean and std must be finite, got mean=[${this.mean.join(', ')}], std=[${this.std.join(', ')}]`,
      );
    }
    if (this.std.some((s) => s === 0)) {
      throw new IndexError(
        `Normalize: std must not be zero (division by zero), got std=[${this.std.join(', ')}]`,
      );
    }
  }

  forward(x: Tensor): Tensor {
    const op = 'Normalize';
    const { n, c, h, w } = layout(op, x);
    if (!isFloating(x.dtype))
      throw new DTypeError(`${op}: expected a floating-point image, got dtype ${x.dtype}`);
    const mean = channelValues(op, 'mean', this.mean, c);
    const std = channelValues(op, 'std', this.std, c);
    const src = hostData(op, x);
    const out = typedArrayFor(x.dtype, src.length);
    const plane = h * w;
    for (let s = 0; s < n; s++) {
      for (let ch = 0; ch < c; ch++) {
        const m = mean[ch];
        const sd = std[ch];
        const base = (s * c + ch) * plane;
        for (let i = base; i < base + plane; i++) out[i] = (src[i] - m) / sd;
      }
    }
    return fromTypedArray(out, x.shape);
  }

  toString(): string {
    return `Normalize(mean=[${this.mean.join(', ')}], std=[${this.std.join(', ')}])`;
  }
}
