import { record } from '../autograd/record.js';
import type { Backend } from '../backend/backend.js';
import type { DType } from '../tensor/dtype.js';
import { promoteTypes } from '../tensor/dtype.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes, normalizeDim, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { where } from './compare.js';
import { indexSelect } from './gather.js';
import { expand, reshape, unsqueeze } from './shape.js';
import { narrow } from './slice.js';
import { asStridedScatter } from './strided.js';
import { to as toDtype } from './convert.js';
import { checkSameBackend, checkShapeArg, checkTensor } from './util.js';

function checkTensorList(op: string, tensors: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(tensors)) {
    throw new DTypeError(
      `${op}: expected an array of tensors, got ${tensors === null ? 'null' : typeof tensors}`,
    );
  }
  if (tensors.length === 0) throw new ShapeError(`${op}: expects a non-empty array of tensors`);
  tensors.forEach((t, i) => checkTensor(op, t, `entry ${i}`));
  checkSameBackend(op, tensors);
  return [...tensors];
}

/** A constant tensor made from host values on the given backend (masks and index vectors). */
function hostTensor(backend: Backend, values: Int32Array | Uint8Array, shape: readonly number[]): Tensor {
  return new Tensor(backend.upload(values), shape);
}

/** A 0-d tensor of x's dtype on x's backend. */
function scalarLike(x: Tensor, value: number): Tensor {
  return new Tensor(x.storage.backend.fill(1, value, x.dtype), []);
}

/** Concatenates along an existing dim; dtypes promote as in PyTorch. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const all = checkTensorList('cat', tensors);
  const dtype = all.map((t) => t.dtype).reduce<DType>((a, b) => promoteTypes(a, b), all[0].dtype);
  const xs = all.map((t) => toDtype(t, dtype));
  xs.forEach((t, i) => {
    if (t.ndim === 0) {
      throw new ShapeError(`cat: zero-dimensional tensor (at position ${i}) cannot be concatenated`);
    }
  });
  // PyTorch's legacy rule: 1-d empty tensors are skipped whatever the others' shapes.
  const used = xs.map((t) => !(t.ndim === 1 && t.shape[0] === 0));
  const first = xs.find((_, i) => used[i]);
  const backend = xs[0].storage.backend;
  if (!first) {
    return new Tensor(backend.fill(0, 0, dtype), [0]);
  }
  const d = normalizeDim('cat', dim, first.ndim, first.shape);
  const parts = xs.filter((_, i) => used[i]);
  xs.forEach((t, i) => {
    if (!used[i]) return;
    if (t.ndim !== first.ndim || t.shape.some((s, k) => k !== d && s !== first.shape[k])) {
      throw new ShapeError(
        `cat: sizes must match except in dim ${d}, got shapes ${fmtShape(first.shape)} ` +
          `(entry ${xs.indexOf(first)}) and ${fmtShape(t.shape)} (entry ${i})`,
      );
    }
  });
  const outShape = first.shape.map((s, k) => (k === d ? parts.reduce((n, t) => n + t.shape[d], 0) : s));
  const out = new Tensor(
    backend.concat(
      parts.map((t) => t.storage),
      parts.map((t) => t.shape),
      d,
      outShape,
    ),
    outShape,
  );
  const starts: number[] = [];
  let offset = 0;
  xs.forEach((t, i) => {
    starts.push(offset);
    if (used[i]) offset += t.shape[d];
  });
  return record('cat', xs, out, (g) =>
    xs.map((t, i) => {
      if (!t.requiresGrad) return null;
      return used[i]
        ? narrow(g, d, starts[i], t.shape[d])
        : new Tensor(g.storage.backend.fill(0, 0, g.dtype), [0]);
    }),
  );
}

/** Joins equally shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const xs = checkTensorList('stack', tensors);
  xs.forEach((t, i) => {
    if (!shapesEqual(t.shape, xs[0].shape)) {
      throw new ShapeError(
        `stack: expects each tensor to be equal size, but got ${fmtShape(xs[0].shape)} at entry 0 ` +
          `and ${fmtShape(t.shape)} at entry ${i}`,
      );
    }
  });
  const d = normalizeDim('stack', dim, xs[0].ndim + 1, xs[0].shape);
  return cat(
    xs.map((t) => unsqueeze(t, d)),
    d,
  );
}

function splitDim(op: string, x: Tensor, dim: number): number {
  if (x.ndim === 0) {
    throw new ShapeError(`${op}: expects at least a 1-dimensional tensor, got shape ${fmtShape(x.shape)}`);
  }
  return normalizeDim(op, dim, x.ndim, x.shape);
}

function splitBySizes(x: Tensor, d: number, sizes: readonly number[]): Tensor[] {
  let start = 0;
  return sizes.map((s) => {
    const part = narrow(x, d, start, s);
    start += s;
    return part;
  });
}

/**
 * Splits into pieces (copies) along dim: a number is the size of every chunk (the last may be smaller), an
 * array lists the sizes, which must sum to the size of the dim (PyTorch's split).
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = splitDim('split', x, dim);
  const n = x.shape[d];
  if (Array.isArray(splitSizeOrSections)) {
    const sizes = splitSizeOrSections as readonly number[];
    if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new IndexError(`split: split sizes must be non-negative integers, got ${fmtShape(sizes)}`);
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) {
      throw new ShapeError(
        `split: split sizes ${fmtShape(sizes)} sum to ${total}, but dim ${d} has size ${n} (shape ${fmtShape(x.shape)})`,
      );
    }
    return splitBySizes(x, d, sizes);
  }
  const size = splitSizeOrSections as number;
  if (!Number.isInteger(size) || size < 0) {
    throw new IndexError(`split: split size must be a non-negative integer, got ${size}`);
  }
  if (size === 0 && n > 0) {
    throw new IndexError(
      `split: split size can only be 0 if dim ${d} has size 0 (shape ${fmtShape(x.shape)})`,
    );
  }
  const count = Math.max(Math.ceil(n / Math.max(size, 1)), 1);
  const sizes = Array.from({ length: count }, (_, i) => Math.min(size, n - i * size));
  return splitBySizes(x, d, sizes);
}

/** Splits into at most `chunks` views of ceil(size / chunks) along dim; may return fewer (PyTorch's chunk). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new IndexError(`chunk: chunks must be a positive integer, got ${chunks}`);
  }
  const d = splitDim('chunk', x, dim);
  const n = x.shape[d];
  // An empty dim still gives `chunks` empty pieces, as in PyTorch.
  if (n === 0) return splitBySizes(x, d, new Array<number>(chunks).fill(0));
  return split(x, Math.ceil(n / chunks), d);
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * Pads (or crops, for negative amounts) the last dims, like torch.nn.functional.pad: `pad` is
 * [left, right] for the last dim, then [top, bottom] for the one before, and so on.
 */
export function pad(
  x: Tensor,
  pad: readonly number[],
  mode: PadMode = 'constant',
  value?: number | null,
): Tensor {
  checkShapeArg('pad', pad);
  if (pad.some((p) => !Number.isInteger(p))) {
    throw new IndexError(`pad: padding sizes must be integers, got ${fmtShape(pad)}`);
  }
  if (pad.length % 2 !== 0 || pad.length / 2 > x.ndim) {
    throw new ShapeError(
      `pad: padding ${fmtShape(pad)} must have an even length of at most 2 × ${x.ndim} ` +
        `(twice the dims of shape ${fmtShape(x.shape)})`,
    );
  }
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) {
    throw new IndexError(
      `pad: unknown mode '${String(mode)}' (expected constant, reflect, replicate or circular)`,
    );
  }
  if (mode !== 'constant' && value !== undefined && value !== null && value !== 0) {
    throw new IndexError(`pad: mode '${mode}' does not take a fill value (got ${value})`);
  }
  const amounts: [number, number, number][] = []; // [dim, before, after]
  for (let i = 0; i < pad.length / 2; i++) amounts.push([x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]]);
  for (const [d, l, r] of amounts) {
    const n = x.shape[d];
    if (n + l + r < 0) {
      throw new ShapeError(
        `pad: the size ${n} of dim ${d} with padding (${l}, ${r}) gives a negative size ${n + l + r} ` +
          `(shape ${fmtShape(x.shape)})`,
      );
    }
  }
  return mode === 'constant' ? padConstant(x, amounts, value ?? 0) : padIndexed(x, amounts, mode);
}

function padConstant(x: Tensor, amounts: readonly [number, number, number][], value: number): Tensor {
  // Negative amounts crop first; then the rest embeds into a larger tensor.
  let y = x;
  for (const [d, l, r] of amounts) {
    if (l < 0 || r < 0) {
      const cl = Math.max(-l, 0);
      y = narrow(y, d, cl, y.shape[d] - cl - Math.max(-r, 0));
    }
  }
  const outShape = [...y.shape];
  for (const [d, l, r] of amounts) outShape[d] += Math.max(l, 0) + Math.max(r, 0);
  if (shapesEqual(outShape, y.shape)) return y;
  const st = stridesOf(outShape);
  let offset = 0;
  for (const [d, l] of amounts) offset += Math.max(l, 0) * st[d];
  const padded = asStridedScatter(y, outShape, st, offset);
  if (value === 0) return padded;
  const b = x.storage.backend;
  const inside = new Tensor(
    b.asStridedScatter(b.fill(y.numel(), 1, 'bool'), y.shape, st, offset, sizeOf(outShape)),
    outShape,
  );
  return where(inside, padded, scalarLike(x, value));
}

/** reflect / replicate / circular: each padded dim picks source positions with indexSelect. */
function padIndexed(x: Tensor, amounts: readonly [number, number, number][], mode: PadMode): Tensor {
  let y = x;
  for (const [d, l, r] of amounts) {
    const n = y.shape[d];
    const m = n + l + r;
    const idx = new Int32Array(m);
    const bad = (why: string): never => {
      throw new ShapeError(
        `pad: padding (${l}, ${r}) of dim ${d} (size ${n}, shape ${fmtShape(x.shape)}) ${why} for mode '${mode}'`,
      );
    };
    if (mode === 'reflect') {
      if (l >= n || r >= n) bad('must be less than the size of the dim');
      // Reflects around the first and last elements, without repeating them (PyTorch's kernel).
      for (let j = 0; j < m; j++) {
        const p = j - l;
        idx[j] = p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p;
      }
    } else if (mode === 'replicate') {
      if (n === 0 && m > 0) bad('cannot pad an empty dim');
      for (let j = 0; j < m; j++) idx[j] = Math.min(Math.max(j - l, 0), n - 1);
    } else {
      if (l > n || r > n) bad('wraps around more than once');
      // Negative amounts crop first; the wrap-around then uses the cropped part (as PyTorch does).
      const cl = Math.max(-l, 0);
      const lp = Math.max(l, 0);
      const inner = n - cl - Math.max(-r, 0);
      if (inner <= 0 && m > 0) bad('leaves nothing to wrap around');
      for (let j = 0; j < m; j++) idx[j] = cl + ((((j - lp) % inner) + inner) % inner);
    }
    if (l === 0 && r === 0) continue;
    y = indexSelect(y, d, hostTensor(y.storage.backend, idx, [m]));
  }
  return y;
}

/** Tiles the tensor: sizes may have more entries than x has dims (torch.Tensor.repeat). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  checkShapeArg('repeat', sizes);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new IndexError(`repeat: repeats must be non-negative integers, got ${fmtShape(sizes)}`);
  }
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      `repeat: the ${sizes.length} repeats ${fmtShape(sizes)} are fewer than the ${x.ndim} dims of shape ${fmtShape(x.shape)}`,
    );
  }
  const shape = [...new Array<number>(sizes.length - x.ndim).fill(1), ...x.shape];
  // [s0, s1] → [1, s0, 1, s1] → expand to [r0, s0, r1, s1] → [r0·s0, r1·s1].
  const spread = reshape(
    x,
    shape.flatMap((s) => [1, s]),
  );
  const tiled = expand(
    spread,
    shape.flatMap((s, i) => [sizes[i], s]),
  );
  return reshape(
    tiled,
    shape.map((s, i) => s * sizes[i]),
  );
}

function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  if (x.ndim < 2) {
    throw new ShapeError(`${op}: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  }
  if (!Number.isInteger(diagonal))
    throw new IndexError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const [rows, cols] = x.shape.slice(-2);
  const keep = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++)
      keep[i * cols + j] = (op === 'tril' ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  }
  // The mask broadcasts over the leading (batch) dims.
  return where(hostTensor(x.storage.backend, keep, [rows, cols]), x, scalarLike(x, 0));
}

/** The lower triangle of the last two dims (j − i ≤ diagonal); the rest is zero. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

/** The upper triangle of the last two dims (j − i ≥ diagonal); the rest is zero. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

/** x with value where the bool mask (broadcast to x's shape) is true; a 0-d tensor value gets gradients. */
export function maskedFill(x: Tensor, mask: Tensor, value: number | boolean | Tensor): Tensor {
  checkTensor('maskedFill', mask, 'mask');
  if (mask.dtype !== 'bool') {
    throw new DTypeError(
      `maskedFill: mask must be a bool tensor, got dtype ${mask.dtype} (shape ${fmtShape(mask.shape)})`,
    );
  }
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (!shapesEqual(shape, x.shape)) {
    throw new ShapeError(
      `maskedFill: mask of shape ${fmtShape(mask.shape)} cannot be broadcast to the input's shape ${fmtShape(x.shape)}`,
    );
  }
  let v: Tensor;
  if (value instanceof Tensor) {
    if (value.ndim !== 0) {
      throw new ShapeError(
        `maskedFill: value must be a number or a 0-d tensor, got shape ${fmtShape(value.shape)}`,
      );
    }
    checkSameBackend('maskedFill', [x, value]);
    v = toDtype(value, x.dtype);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    v = scalarLike(x, Number(value));
  } else {
    throw new DTypeError(`maskedFill: value must be a number or a 0-d tensor, got ${typeof value}`);
  }
  return where(mask, v, x);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    repeat(sizes: readonly number[]): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    maskedFill(mask: Tensor, value: number | boolean | Tensor): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  split(this: Tensor, s: number | readonly number[], d?: number) {
    return split(this, s, d);
  },
  chunk(this: Tensor, c: number, d?: number) {
    return chunk(this, c, d);
  },
  repeat(this: Tensor, sizes: readonly number[]) {
    return repeat(this, sizes);
  },
  tril(this: Tensor, diagonal?: number) {
    return tril(this, diagonal);
  },
  triu(this: Tensor, diagonal?: number) {
    return triu(this, diagonal);
  },
  maskedFill(this: Tensor, mask: Tensor, value: number | boolean | Tensor) {
    return maskedFill(this, mask, value);
  },
});
