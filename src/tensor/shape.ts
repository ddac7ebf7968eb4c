import { IndexError, ShapeError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function checkShape(op: string, shape: Shape): number[] {
  if (!Array.isArray(shape)) {
    throw new ShapeError(`${op}: expected a shape as an array of sizes, got ${String(shape)}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape ${fmtShape(shape)} (sizes must be non-negative integers)`);
    }
  }
  return [...shape];
}

/** NumPy/PyTorch broadcasting: align from the right; sizes must match or be 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const ndim = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = ndim - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together ` +
            `(size ${out[o]} vs ${d} at dim ${o - ndim})`,
        );
      }
    }
  }
  return out;
}

/** Resolves a possibly negative dim against ndim; throws a clear error when out of range. */
export function normalizeDim(op: string, dim: number, ndim: number, shape?: Shape): number {
  const lo = -Math.max(ndim, 1);
  const hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    const where = shape ? ` for a tensor of shape ${fmtShape(shape)}` : '';
    throw new IndexError(`${op}: dim ${dim} is out of range [${lo}, ${hi}]${where}`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalizes a dim or list of dims (undefined or null = all dims), sorted and without repeats. */
export function normalizeDims(
  op: string,
  dims: number | readonly number[] | undefined | null,
  shape: Shape,
): number[] {
  const ndim = shape.length;
  if (dims === undefined || dims === null) return [...Array(ndim).keys()];
  const list = typeof dims === 'number' ? [dims] : [...dims];
  if (ndim === 0) {
    for (const d of list) normalizeDim(op, d, 0, shape);
    return [];
  }
  const out = list.map((d) => normalizeDim(op, d, ndim, shape));
  if (new Set(out).size !== out.length) {
    throw new IndexError(`${op}: dim ${JSON.stringify(list)} contains a repeated dim`);
  }
  return out.sort((a, b) => a - b);
}
