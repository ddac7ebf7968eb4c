import { IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { normalizeDim, normalizeDims, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { asStrided } from './strided.js';

// normalizeDim accepts dim 0 of a 0-d tensor (for reductions); indexing ops must not.
function checkNotScalar(op: string, x: Tensor): void {
  if (x.ndim === 0) throw new IndexError(`${op}: cannot be applied to a 0-d tensor (dim is out of range)`);
}

/** Elements start … start+length−1 along dim (PyTorch's narrow); start may be negative. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkNotScalar('narrow', x);
  const d = normalizeDim('narrow', dim, x.ndim, x.shape);
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new IndexError(
      `narrow: start ${start} and length ${length} are out of range for dim ${d} of size ${n} (shape ${fmtShape(x.shape)})`,
    );
  }
  return slice(x, d, s, s + length, 1);
}

/**
 * Python's x[start:end:step] along one dim: bounds clamp like Python's, negative values count from
 * the end, step must be positive (use flip to reverse).
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkNotScalar('slice', x);
  const d = normalizeDim('slice', dim, x.ndim, x.shape);
  if (!Number.isInteger(step) || step <= 0) {
    throw new IndexError(`slice: step must be a positive integer, got ${step} (use flip() to reverse)`);
  }
  const n = x.shape[d];
  const clampIdx = (v: number | null | undefined, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (!Number.isInteger(v))
      throw new IndexError(`slice: bounds must be integers, got ${v} (shape ${fmtShape(x.shape)})`);
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, 0), n);
  };
  const s = clampIdx(start, 0);
  const e = Math.max(clampIdx(end, n), s);
  const len = Math.ceil((e - s) / step);
  const st = stridesOf(x.shape);
  if (s === 0 && len === n && step === 1) return x;
  const shape = x.shape.map((v, i) => (i === d ? len : v));
  const strides = st.map((v, i) => (i === d ? v * step : v));
  return asStrided(x, shape, strides, s * st[d]);
}

/** Picks index i of dim and removes that dim (PyTorch's select: x[:, i]). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkNotScalar('select', x);
  const d = normalizeDim('select', dim, x.ndim, x.shape);
  const n = x.shape[d];
  const i = index < 0 ? index + n : index;
  if (!Number.isInteger(i) || i < 0 || i >= n) {
    throw new IndexError(
      `select: index ${index} is out of range for dim ${d} of size ${n} (shape ${fmtShape(x.shape)})`,
    );
  }
  const st = stridesOf(x.shape);
  return asStrided(
    x,
    x.shape.filter((_, k) => k !== d),
    st.filter((_, k) => k !== d),
    i * st[d],
  );
}

/** Reverses the order of elements along the given dims. */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  if (!Array.isArray(dims))
    throw new ShapeError(`flip: expected dims as an array, e.g. [0], got ${JSON.stringify(dims)}`);
  const ds = normalizeDims('flip', dims, x.shape);
  if (ds.length === 0 || x.numel() === 0) return x;
  const st = stridesOf(x.shape);
  let offset = 0;
  const strides = st.map((v, i) => {
    if (!ds.includes(i)) return v;
    offset += (x.shape[i] - 1) * v;
    return -v;
  });
  return asStrided(x, x.shape, strides, offset);
}

/** One item of an index expression: a number selects (and drops the dim), 'a:b:c' slices, '...' fills. */
export type IndexSpec = number | string | readonly [number | null | undefined, (number | null)?, number?];

function parseSlice(spec: string): [number | null, number | null, number] {
  const parts = spec.split(':').map((p) => p.trim());
  if (parts.length > 3 || parts.some((p) => p !== '' && !/^-?\d+$/.test(p))) {
    throw new IndexError(`index: cannot parse slice '${spec}' (expected 'start:end:step' with integers)`);
  }
  const num = (p: string | undefined): number | null => (p === undefined || p === '' ? null : Number(p));
  if (parts.length === 1) {
    throw new IndexError(`index: '${spec}' is not a slice; pass a number to select one position`);
  }
  return [num(parts[0]), num(parts[1]), num(parts[2]) ?? 1];
}

/**
 * NumPy/PyTorch-style basic indexing: `x.index(0, '1:3', '::2')` is `x[0, 1:3, ::2]`, and
 * `x.index('...', -1)` is `x[..., -1]`. A [start, end, step] array works like a slice string.
 */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  const ell = specs.findIndex((s) => s === '...');
  if (ell !== specs.lastIndexOf('...')) throw new IndexError(`index: only one '...' is allowed`);
  const consumed = specs.filter((s) => s !== '...').length;
  if (consumed > x.ndim) {
    throw new IndexError(`index: too many indices (${consumed}) for a tensor of shape ${fmtShape(x.shape)}`);
  }
  const full: IndexSpec[] =
    ell >= 0
      ? [...specs.slice(0, ell), ...Array<IndexSpec>(x.ndim - consumed).fill(':'), ...specs.slice(ell + 1)]
      : specs;
  let out = x;
  let dim = 0;
  for (const s of full) {
    if (typeof s === 'number') {
      out = select(out, dim, s);
    } else if (typeof s !== 'string' && !Array.isArray(s)) {
      throw new IndexError(
        `index: unsupported index ${JSON.stringify(s)} (use numbers, 'start:end:step' strings, [start, end, step] or '...')`,
      );
    } else {
      const [a, b, c] = typeof s === 'string' ? parseSlice(s) : [s[0] ?? null, s[1] ?? null, s[2] ?? 1];
      out = slice(out, dim, a, b, c);
      dim++;
    }
  }
  return out;
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    select(dim: number, index: number): Tensor;
    flip(dims: readonly number[]): Tensor;
    index(...specs: IndexSpec[]): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  narrow(this: Tensor, d: number, s: number, l: number) {
    return narrow(this, d, s, l);
  },
  slice(this: Tensor, d: number, s?: number | null, e?: number | null, st?: number) {
    return slice(this, d, s, e, st);
  },
  select(this: Tensor, d: number, i: number) {
    return select(this, d, i);
  },
  flip(this: Tensor, dims: readonly number[]) {
    return flip(this, dims);
  },
  index(this: Tensor, ...specs: IndexSpec[]) {
    return index(this, ...specs);
  },
});
