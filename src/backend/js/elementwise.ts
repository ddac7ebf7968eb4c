import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf, stridesOf } from '../../tensor/shape.js';
import type { BinaryOp, UnaryOp } from '../backend.js';
import { erf, sigmoid } from './math.js';

type Fn1 = (x: number) => number;
type Fn2 = (a: number, b: number) => number;

export const UNARY: Record<UnaryOp, Fn1> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid,
  // NaN passes through, as in PyTorch.
  relu: (x) => (x > 0 || x !== x ? x : 0),
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  // Round half to even, as PyTorch does.
  round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  reciprocal: (x) => 1 / x,
  logicalNot: (x) => (x ? 0 : 1),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
};

export const BINARY: Record<BinaryOp, Fn2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a && b ? 1 : 0),
  logicalOr: (a, b) => (a || b ? 1 : 0),
};

export function unaryLoop(fn: Fn1, x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = fn(x[i]);
}

/** Strides of `shape` seen as broadcast to `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = outShape.length - shape.length + i;
    out[o] = shape[i] === 1 ? 0 : st[i];
  }
  return out;
}

/**
 * Visits every element of outShape in row-major order, calling body(outIndex, offA, offB, offC) with
 * the matching offsets of up to three broadcast operands. The innermost dim is a tight loop.
 */
export function broadcastLoop(
  outShape: Shape,
  strides: readonly (readonly number[])[],
  body: (o: number, a: number, b: number, c: number) => void,
): void {
  const nd = outShape.length;
  const total = sizeOf(outShape);
  if (total === 0) return;
  if (nd === 0) {
    body(0, 0, 0, 0);
    return;
  }
  const sa = strides[0] ?? new Array<number>(nd).fill(0);
  const sb = strides[1] ?? new Array<number>(nd).fill(0);
  const sc = strides[2] ?? new Array<number>(nd).fill(0);
  const inner = outShape[nd - 1];
  const ia = sa[nd - 1];
  const ib = sb[nd - 1];
  const ic = sc[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let a = 0;
  let b = 0;
  let c = 0;
  for (let o = 0; o < total; o += inner) {
    for (let j = 0; j < inner; j++) body(o + j, a + j * ia, b + j * ib, c + j * ic);
    // Advance the outer counter (dims nd-2 .. 0).
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      a += sa[d];
      b += sb[d];
      c += sc[d];
      if (idx[d] < outShape[d]) break;
      a -= sa[d] * outShape[d];
      b -= sb[d] * outShape[d];
      c -= sc[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Inline loops for the arithmetic that training spends its elementwise time in (same shapes, or one
 * scalar operand): no call per element. Returns false when the general loop is needed.
 */
export function arithmeticFastPath(op: BinaryOp, a: TypedArray, b: TypedArray, out: TypedArray): boolean {
  const n = out.length;
  if (a.length === n && b.length === n) {
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
    else if (op === 'div') for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
    else return false;
    return true;
  }
  if (a.length === n && b.length === 1) {
    const y = b[0];
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i] + y;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i] - y;
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i] * y;
    else if (op === 'div') for (let i = 0; i < n; i++) out[i] = a[i] / y;
    else return false;
    return true;
  }
  if (a.length === 1 && b.length === n) {
    const x = a[0];
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = x + b[i];
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = x - b[i];
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = x * b[i];
    else if (op === 'div') for (let i = 0; i < n; i++) out[i] = x / b[i];
    else return false;
    return true;
  }
  return false;
}

export function binaryLoop(
  fn: Fn2,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  out: TypedArray,
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = fn(a[i], b[i]);
  } else if (b.length === 1 && a.length === n) {
    const bv = b[0];
    for (let i = 0; i < n; i++) out[i] = fn(a[i], bv);
  } else if (a.length === 1 && b.length === n) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = fn(av, b[i]);
  } else {
    broadcastLoop(
      outShape,
      [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)],
      (o, ia, ib) => {
        out[o] = fn(a[ia], b[ib]);
      },
    );
  }
}

export function whereLoop(
  cond: TypedArray,
  condShape: Shape,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  outShape: Shape,
  out: TypedArray,
): void {
  const st = [condShape, aShape, bShape].map((s) => broadcastStrides(s, outShape));
  broadcastLoop(outShape, st, (o, ic, ia, ib) => {
    out[o] = cond[ic] ? a[ia] : b[ib];
  });
}
