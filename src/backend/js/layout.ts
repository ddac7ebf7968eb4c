import type { TypedArray } from '../../tensor/dtype.js';
import { IndexError, fmtShape } from '../../tensor/errors.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf, stridesOf } from '../../tensor/shape.js';
import { broadcastLoop } from './elementwise.js';
import { aroundAxis } from './reduce.js';

export function asStridedLoop(
  x: TypedArray,
  shape: Shape,
  strides: readonly number[],
  offset: number,
  out: TypedArray,
): void {
  broadcastLoop(shape, [strides], (o, i) => {
    out[o] = x[offset + i];
  });
}

export function asStridedScatterLoop(
  src: TypedArray,
  shape: Shape,
  strides: readonly number[],
  offset: number,
  out: TypedArray,
): void {
  broadcastLoop(shape, [strides], (o, i) => {
    out[offset + i] += src[o];
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
