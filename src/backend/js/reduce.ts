import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf, stridesOf } from '../../tensor/shape.js';
import type { ArgReduceOp, CumulativeOp, ReduceOp } from '../backend.js';

const INIT: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };
const STEP: Record<ReduceOp, (acc: number, v: number) => number> = {
  sum: (acc, v) => acc + v,
  prod: (acc, v) => acc * v,
  // NaN propagates, as in PyTorch.
  max: (acc, v) => (v > acc || v !== v ? v : acc),
  min: (acc, v) => (v < acc || v !== v ? v : acc),
};

/**
 * Reduces `axes` of x (keeping them as size 1) into out. Accumulates in double precision. Visits x in
 * order and maps each element to its output slot, so any set of axes costs one pass.
 */
export function reduceLoop(
  op: ReduceOp,
  x: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: TypedArray,
): void {
  const nd = shape.length;
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Float64Array(out.length).fill(INIT[op]);
  const step = STEP[op];
  if (sizeOf(shape) > 0) {
    if (nd === 0) {
      acc[0] = step(acc[0], x[0]);
    } else {
      // Output stride of each input dim: 0 on reduced dims.
      const ost = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
      const inner = shape[nd - 1];
      const innerStride = ost[nd - 1];
      const idx = new Array<number>(nd).fill(0);
      let o = 0;
      for (let i = 0; i < x.length; i += inner) {
        if (innerStride === 0) {
          let a = acc[o];
          for (let j = 0; j < inner; j++) a = step(a, x[i + j]);
          acc[o] = a;
        } else {
          for (let j = 0; j < inner; j++) acc[o + j] = step(acc[o + j], x[i + j]);
        }
        for (let d = nd - 2; d >= 0; d--) {
          idx[d]++;
          o += ost[d];
          if (idx[d] < shape[d]) break;
          o -= ost[d] * shape[d];
          idx[d] = 0;
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = acc[i];
}

/** outer × n × inner view of a shape around one axis. */
export function aroundAxis(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

export function argReduceLoop(
  op: ArgReduceOp,
  x: TypedArray,
  shape: Shape,
  axis: number,
  out: Int32Array,
): void {
  const [outer, n, inner] = aroundAxis(shape, axis);
  if (inner === 1 && op === 'argmax') {
    // Along the last axis (max over pooling windows, predicted classes): a plain loop.
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let best = x[base];
      let bi = 0;
      for (let j = 1; j < n && best === best; j++) {
        const v = x[base + j];
        if (v > best || v !== v) {
          best = v;
          bi = j;
        }
      }
      out[o] = bi;
    }
    return;
  }
  const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let best = x[base];
      let bi = 0;
      for (let j = 1; j < n && best === best; j++) {
        const v = x[base + j * inner];
        if (better(v, best) || v !== v) {
          best = v;
          bi = j;
        }
      }
      out[o * inner + k] = bi;
    }
  }
}

export function cumulativeLoop(
  op: CumulativeOp,
  x: TypedArray,
  shape: Shape,
  axis: number,
  out: TypedArray,
): void {
  const [outer, n, inner] = aroundAxis(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let acc = op === 'sum' ? 0 : 1;
      for (let j = 0; j < n; j++) {
        const i = base + j * inner;
        acc = op === 'sum' ? acc + x[i] : acc * x[i];
        out[i] = acc;
      }
    }
  }
}

export function argsortLoop(
  x: TypedArray,
  shape: Shape,
  axis: number,
  descending: boolean,
  out: Int32Array,
): void {
  const [outer, n, inner] = aroundAxis(shape, axis);
  const order = new Array<number>(n);
  const key = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      for (let j = 0; j < n; j++) {
        order[j] = j;
        const v = x[base + j * inner];
        key[j] = v !== v ? Infinity : v; // NaN sorts last ascending, as in PyTorch
      }
      // Array.prototype.sort is stable; ties keep their original order.
      order.sort(descending ? (p, q) => key[q] - key[p] || 0 : (p, q) => key[p] - key[q] || 0);
      for (let j = 0; j < n; j++) out[base + j * inner] = order[j];
    }
  }
}
