import type { TypedArray } from '../../tensor/dtype.js';
import { IndexError, fmtShape } from '../../tensor/errors.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf, stridesOf } from '../../tensor/shape.js';
import { broadcastLoop } from './elementwise.js';
import { aroundAxis } from './reduce.js';

/**
 * Merges dims that a strided walk can take as one (size-1 dims vanish; a dim whose stride spans the
 * next one's whole extent joins it), so the loops below run long inner rows instead of paying the
 * outer-counter bookkeeping per element (im2col walks have 6-7 dims before merging).
 */
export function coalesce(shape: Shape, strides: readonly number[]): [number[], number[]] {
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides[d] === outStrides[last] * outShape[last]) outShape[last] *= shape[d];
    else {
      outShape.push(shape[d]);
      outStrides.push(strides[d]);
    }
  }
  if (outShape.length === 0) return [[1], [0]];
  return [outShape.reverse(), outStrides.reverse()];
}

/** Calls row(offset, o) for each innermost row of a strided walk: offset into x, o into the output. */
function forEachRow(
  shape: Shape,
  strides: readonly number[],
  offset: number,
  row: (base: number, o: number, n: number, step: number) => void,
): void {
  const [dims, st] = coalesce(shape, strides);
  const nd = dims.length;
  const n = dims[nd - 1];
  const step = st[nd - 1];
  const total = sizeOf(dims);
  if (total === 0) return;
  const idx = new Int32Array(nd);
  let base = offset;
  for (let o = 0; o < total; o += n) {
    row(base, o, n, step);
    for (let d = nd - 2; d >= 0; d--) {
      base += st[d];
      if (++idx[d] < dims[d]) break;
      base -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
}

export function asStridedLoop(
  x: TypedArray,
  shape: Shape,
  strides: readonly number[],
  offset: number,
  out: TypedArray,
): void {
  forEachRow(shape, strides, offset, (base, o, n, step) => {
    if (step === 1 && n >= 32) {
      out.set(x.subarray(base, base + n), o);
      return;
    }
    for (let j = 0; j < n; j++) out[o + j] = x[base + j * step];
  });
}

export function asStridedScatterLoop(
  src: TypedArray,
  shape: Shape,
  strides: readonly number[],
  offset: number,
  out: TypedArray,
): void {
  forEachRow(shape, strides, offset, (base, o, n, step) => {
    for (let j = 0; j < n; j++) out[base + j * step] += src[o + j];
  });
}

export function concatLoop(
  xs: readonly TypedArray[],
  shapes: readonly Shape[],
  axis: number,
  out: TypedArray,
): void {
  const outer = sizeOf(shapes[0].slice(0, axis));
  const chunks = shapes.map((s) => sizeOf(s.slice(axis)));
  const row = chunks.reduce((a, b) => a + b, 0);
  let start = 0;
  xs.forEach((x, t) => {
    const c = chunks[t];
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * c, o * c + c), o * row + start);
    start += c;
  });
}

/**
 * Walks the index tensor; for each position returns the flat offset into a tensor of `targetShape`
 * with the axis coordinate replaced by the index value (checked against the range).
 */
function indexedOffsets(
  op: string,
  targetShape: Shape,
  axis: number,
  index: Int32Array,
  indexShape: Shape,
  visit: (i: number, target: number) => void,
): void {
  const tst = stridesOf(targetShape);
  const n = targetShape[axis];
  const [outer, m, inner] = aroundAxis(indexShape, axis);
  const innerShape = indexShape.slice(axis + 1);
  const outerShape = indexShape.slice(0, axis);
  const innerOffsets = offsetsOf(innerShape, tst.slice(axis + 1));
  const outerOffsets = offsetsOf(outerShape, tst.slice(0, axis));
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < inner; k++, i++) {
        const v = index[i];
        if (v < 0 || v >= n) {
          throw new IndexError(
            `${op}: index ${index[i]} is out of range for dim ${axis} of size ${n} (shape ${fmtShape(targetShape)})`,
          );
        }
        visit(i, outerOffsets[o] + v * tst[axis] + innerOffsets[k]);
      }
    }
  }
}

function checkIndex(op: string, v: number, axis: number, shape: Shape): never {
  throw new IndexError(
    `${op}: index ${v} is out of range for dim ${axis} of size ${shape[axis]} (shape ${fmtShape(shape)})`,
  );
}

/**
 * The row count when gather/scatterAdd work along the last axis with index (and src) shaped like the
 * target except in that axis: then a plain row loop replaces the general offset walk. 0 otherwise.
 */
export function lastAxisRows(target: Shape, axis: number, indexShape: Shape, srcShape: Shape): number {
  const nd = target.length;
  if (axis !== nd - 1 || indexShape.length !== nd || srcShape.length !== nd) return 0;
  for (let d = 0; d < nd - 1; d++) {
    if (indexShape[d] !== target[d] || srcShape[d] !== target[d]) return 0;
  }
  if (srcShape[axis] !== indexShape[axis]) return 0;
  return sizeOf(target.slice(0, -1));
}

function offsetsOf(shape: Shape, strides: readonly number[]): Int32Array {
  const out = new Int32Array(sizeOf(shape));
  broadcastLoop(shape, [strides], (o, i) => {
    out[o] = i;
  });
  return out;
}

export function gatherLoop(
  x: TypedArray,
  xShape: Shape,
  axis: number,
  index: Int32Array,
  indexShape: Shape,
  out: TypedArray,
): void {
  const rows = lastAxisRows(xShape, axis, indexShape, indexShape);
  if (rows > 0) {
    // Each row of the index picks within the same row of x (max(dim=-1) and pooling windows).
    const n = xShape[axis];
    const m = indexShape[axis];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        const v = index[r * m + j];
        if (!(v >= 0 && v < n)) checkIndex('gather', v, axis, xShape);
        out[r * m + j] = x[r * n + v];
      }
    }
    return;
  }
  indexedOffsets('gather', xShape, axis, index, indexShape, (i, t) => {
    out[i] = x[t];
  });
}

export function scatterAddLoop(
  out: TypedArray,
  baseShape: Shape,
  axis: number,
  index: Int32Array,
  indexShape: Shape,
  src: TypedArray,
  srcShape: Shape,
): void {
  const rows = lastAxisRows(baseShape, axis, indexShape, srcShape);
  if (rows > 0) {
    const n = baseShape[axis];
    const m = indexShape[axis];
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        const v = index[r * m + j];
        if (!(v >= 0 && v < n)) checkIndex('scatterAdd', v, axis, baseShape);
        out[r * n + v] += src[r * m + j];
      }
    }
    return;
  }
  // src may be larger than index (PyTorch only reads the part index covers).
  const sst = stridesOf(srcShape);
  const ist = stridesOf(indexShape);
  const srcOffsets = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) {
    let rem = i;
    let off = 0;
    for (let d = 0; d < indexShape.length; d++) {
      const c = Math.floor(rem / ist[d]);
      rem -= c * ist[d];
      off += c * sst[d];
    }
    srcOffsets[i] = off;
  }
  indexedOffsets('scatterAdd', baseShape, axis, index, indexShape, (i, t) => {
    out[t] += src[srcOffsets[i]];
  });
}
