import type { DType } from '../../tensor/dtype.js';
import type { BinaryOp, LinearActivation, UnaryOp } from '../backend.js';
import { broadcastStrides } from '../js/elementwise.js';
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import {
  MAX_RANK,
  PRELUDE,
  TO_I32,
  bind,
  convert,
  entry,
  f32Bits,
  grid1d,
  load,
  mergeDims,
  walkCode,
  walkWords,
  wgslType,
} from './wgsl.js';

/**
 * f32 helpers the WGSL builtins lack or give loosely (WGSL only bounds log's absolute error near
 * 1): expm1 and log1p by short series near 0, tanh and sigmoid that never overflow, erf by
 * Abramowitz–Stegun 7.1.26 (abs. error < 2e-7) with a Taylor series below 0.5, and pow with
 * JavaScript's rules for signs, zeros and infinities.
 */
const MATH = /* wgsl */ `
fn expm1f(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.008333334 + x * 0.0013888889)))));
  }
  return exp(x) - 1.0;
}
fn log1pf(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    let s = x / (2.0 + x);
    let z = s * s;
    return 2.0 * s * (1.0 + z * (0.33333334 + z * (0.2 + z * 0.14285715)));
  }
  return log(1.0 + x);
}
fn tanhf(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let t = expm1f(-2.0 * abs(x));
  return select(1.0, -1.0, x < 0.0) * (-t / (2.0 + t));
}
fn sigmoidf(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn erff(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.5) {
    let z = a * a;
    r = a * 1.1283791671 * (1.0 + z * (-0.33333334 + z * (0.1 + z * (-0.023809524 + z * (0.0046296296 - z * 0.00075757576)))));
  } else {
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    r = 1.0 - poly * exp(-a * a);
  }
  return select(r, -r, x < 0.0);
}
fn reduceQ(x: f32) -> vec2f {
  // x = q·π/2 + r with π/2 in three parts (Cody–Waite), so r stays accurate for large |x|.
  let q = round(x * 0.63661977);
  return vec2f(((x - q * 1.5703125) - q * 4.8375129699707031e-4) - q * 7.5497899548918821e-8, q);
}
fn sinPoly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
}
fn cosPoly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
}
fn sinf(x: f32) -> f32 {
  if (isNan(x) || isInf(x)) { return nan(); }
  let rq = reduceQ(x);
  let q = i32(rq.y) & 3;
  let v = select(sinPoly(rq.x), cosPoly(rq.x), (q & 1) == 1);
  return select(v, -v, q >= 2);
}
fn cosf(x: f32) -> f32 {
  if (isNan(x) || isInf(x)) { return nan(); }
  let rq = reduceQ(x);
  let q = i32(rq.y) & 3;
  let v = select(cosPoly(rq.x), sinPoly(rq.x), (q & 1) == 1);
  return select(v, -v, q == 1 || q == 2);
}
fn signOf(a: f32) -> f32 { return select(1.0, -1.0, bitcast<u32>(a) >= 0x80000000u); }
fn isOddInt(b: f32) -> bool { return floor(b) == b && abs(b) < 16777216.0 && (i32(b) & 1) == 1; }
fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isNan(a) || isNan(b)) { return nan(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let odd = isOddInt(b);
  if (a == 0.0 || isInf(a)) {
    let mag = select(0.0, inf(), (a == 0.0) == (b < 0.0));
    return select(mag, mag * signOf(a), odd);
  }
  if (floor(b) == b && abs(b) <= 1024.0) {
    // Integer exponents by squaring: a few roundings instead of exp2(b·log2 a)'s error growth.
    var r = 1.0; var base = abs(a); var e = u32(abs(b));
    loop { if (e == 0u) { break; } if ((e & 1u) == 1u) { r = r * base; } base = base * base; e = e >> 1u; }
    r = select(r, 1.0 / r, b < 0.0);
    return select(r, -r, odd && a < 0.0);
  }
  if (a > 0.0) { return pow(a, b); }
  if (floor(b) != b) { return nan(); }
  let m = pow(-a, b);
  return select(m, -m, odd);
}
fn truthy(a: f32) -> bool { return a != 0.0 && !isNan(a); }
fn floorDiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  return select(q, q - 1, a % b != 0 && ((a < 0) != (b < 0)));
}
fn powi(a: i32, b: i32) -> i32 {
  if (b < 0) { return select(select(0, 1, a == 1), select(-1, 1, (b & 1) == 0), a == -1); }
  var r = 1; var base = a; var e = b;
  loop { if (e == 0) { break; } if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; }
  return r;
}
`;

const UNARY_F: Record<UnaryOp, string> = {
  neg: '-v',
  exp: 'exp(v)',
  log: 'select(select(log(v), -inf(), v == 0.0), nan(), v < 0.0)',
  log1p: 'select(select(log1pf(v), -inf(), v == -1.0), nan(), v < -1.0)',
  expm1: 'expm1f(v)',
  sqrt: 'select(sqrt(v), nan(), v < 0.0)',
  rsqrt: 'select(1.0 / sqrt(v), nan(), v < 0.0)',
  abs: 'abs(v)',
  sign: 'select(select(v, -1.0, v < 0.0), 1.0, v > 0.0)',
  sin: 'sinf(v)',
  cos: 'cosf(v)',
  tanh: 'tanhf(v)',
  sigmoid: 'sigmoidf(v)',
  relu: 'select(0.0, v, v > 0.0 || isNan(v))',
  erf: 'erff(v)',
  floor: 'floor(v)',
  ceil: 'ceil(v)',
  round: 'round(v)',
  reciprocal: '1.0 / v',
  // NaN is falsy here, as in the reference (but a cast to bool makes it true).
  logicalNot: 'select(0.0, 1.0, v == 0.0 || isNan(v))',
  isnan: 'select(0.0, 1.0, isNan(v))',
  isinf: 'select(0.0, 1.0, isInf(v))',
};

/** Ops that handle NaN themselves; the others return a NaN input (builtins may not). */
const NAN_AWARE = new Set<UnaryOp>(['logicalNot', 'isnan', 'isinf']);

/** Ops that keep integers exact; the others compute on integer inputs in f32. */
const UNARY_I: Partial<Record<UnaryOp, string>> = {
  neg: '-v',
  abs: 'abs(v)',
  sign: 'select(select(0, -1, v < 0), 1, v > 0)',
  relu: 'max(v, 0)',
  floor: 'v',
  ceil: 'v',
  round: 'v',
  logicalNot: 'select(0, 1, v == 0)',
  isnan: '0',
  isinf: '0',
};

const BINARY_F: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'powf(a, b)',
  maximum: 'select(max(a, b), nan(), isNan(a) || isNan(b))',
  minimum: 'select(min(a, b), nan(), isNan(a) || isNan(b))',
  // Comparisons test NaN explicitly: some compilers assume no NaN and fold them.
  eq: 'select(0.0, 1.0, !isNan(a) && !isNan(b) && a == b)',
  ne: 'select(0.0, 1.0, isNan(a) || isNan(b) || a != b)',
  lt: 'select(0.0, 1.0, !isNan(a) && !isNan(b) && a < b)',
  le: 'select(0.0, 1.0, !isNan(a) && !isNan(b) && a <= b)',
  gt: 'select(0.0, 1.0, !isNan(a) && !isNan(b) && a > b)',
  ge: 'select(0.0, 1.0, !isNan(a) && !isNan(b) && a >= b)',
  logicalAnd: 'select(0.0, 1.0, truthy(a) && truthy(b))',
  logicalOr: 'select(0.0, 1.0, truthy(a) || truthy(b))',
};

const BINARY_I: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'floorDiv(a, b)',
  pow: 'powi(a, b)',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  eq: 'select(0, 1, a == b)',
  ne: 'select(0, 1, a != b)',
  lt: 'select(0, 1, a < b)',
  le: 'select(0, 1, a <= b)',
  gt: 'select(0, 1, a > b)',
  ge: 'select(0, 1, a >= b)',
  logicalAnd: 'select(0, 1, (a != 0) && (b != 0))',
  logicalOr: 'select(0, 1, (a != 0) || (b != 0))',
};

const computeType = (d: DType): 'f32' | 'i32' => (d === 'float32' ? 'f32' : 'i32');

export function unaryKernel(
  rt: Runtime,
  op: UnaryOp,
  x: GPUBufferLike,
  inDtype: DType,
  out: GPUBufferLike,
  outDtype: DType,
  n: number,
): void {
  const intExpr = computeType(inDtype) === 'i32' ? UNARY_I[op] : undefined;
  const ct = intExpr ? 'i32' : 'f32';
  const key = `unary:${op}:${inDtype}:${outDtype}`;
  const p = rt.pipeline(key, () => {
    const v = load('x[gid]', inDtype, ct);
    return `${PRELUDE}${MATH}${TO_I32}${bind(1, 'x', wgslType(inDtype))}${bind(2, 'out', wgslType(outDtype), true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let v = ${v};
  let r = ${intExpr ?? (NAN_AWARE.has(op) ? UNARY_F[op] : `select(${UNARY_F[op]}, v, isNan(v))`)};
  out[gid] = ${convert('r', ct, outDtype)};
}`;
  });
  rt.dispatch(p, [x, out], [n], grid1d(n));
}

/**
 * The epilogue of a fused layer, in place over out (n floats): out = act(out + bias) in one pass
 * instead of an addition and an activation. Element i takes bias[(i / inner) % cols]: a linear layer's
 * [M, N] output has inner 1 and cols N; a convolution's [N, O, OH·OW] has inner OH·OW and cols O.
 */
export function biasActKernel(
  rt: Runtime,
  out: GPUBufferLike,
  bias: GPUBufferLike | null,
  cols: number,
  n: number,
  activation: LinearActivation,
  inner = 1,
): void {
  if (n === 0 || (!bias && activation === 'none')) return;
  const key = `biasAct:${bias ? 'bias' : 'none'}:${activation}`;
  const p = rt.pipeline(key, () => {
    const binding = bias
      ? `${bind(1, 'bias', 'f32')}${bind(2, 'out', 'f32', true)}`
      : bind(1, 'out', 'f32', true);
    return `${PRELUDE}${MATH}${binding}
${entry()}
  if (gid >= pu(0u)) { return; }
  var v = out[gid];
  ${bias ? 'v = v + bias[(gid / pu(2u)) % pu(1u)];' : ''}
  ${activation === 'relu' ? `v = ${UNARY_F.relu};` : ''}
  out[gid] = v;
}`;
  });
  rt.dispatch(p, bias ? [bias, out] : [out], [n, cols, inner], grid1d(n));
}

/**
 * ReLU's backward in one pass over n floats: out = 0 where y ≤ 0, else g (PyTorch's threshold_backward;
 * a NaN y passes g: NaN is tested by its bits, as WGSL compilers may assume comparisons see no NaN).
 */
export function reluBackwardKernel(
  rt: Runtime,
  g: GPUBufferLike,
  y: GPUBufferLike,
  out: GPUBufferLike,
  n: number,
): void {
  if (n === 0) return;
  const p = rt.pipeline('reluBackward', () => {
    return `${PRELUDE}${MATH}${bind(1, 'g', 'f32')}${bind(2, 'y', 'f32')}${bind(3, 'out', 'f32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let v = y[gid];
  out[gid] = select(g[gid], 0.0, !isNan(v) && v <= 0.0);
}`;
  });
  rt.dispatch(p, [g, y, out], [n], grid1d(n));
}

/**
 * Operands of an elementwise kernel with broadcasting: 'same' when every operand has the output's
 * size (no index math), else a merged index walk with one stride list per operand.
 */
function plan(shapes: readonly (readonly number[])[], outShape: readonly number[], n: number) {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  if (sizes.every((s) => s === n)) return { mode: 'same', words: [n, 0, 0, 0] };
  const [dims, strides] = mergeDims(
    outShape,
    shapes.map((s) => broadcastStrides(s, outShape)),
  );
  return { mode: 'walk', words: [n, dims.length, 0, 0, ...walkWords('elementwise', dims, strides)] };
}

/** Index expressions of operand j: the element itself in 'same' mode, else its walked offset. */
function operandIndex(mode: string, j: number): string {
  return mode === 'same' ? 'gid' : `u32(o${j})`;
}

export function binaryKernel(
  rt: Runtime,
  op: BinaryOp,
  a: GPUBufferLike,
  aShape: readonly number[],
  b: GPUBufferLike,
  bShape: readonly number[],
  inDtype: DType,
  out: GPUBufferLike,
  outShape: readonly number[],
  outDtype: DType,
  n: number,
): void {
  const { mode, words } = plan([aShape, bShape], outShape, n);
  const ct = computeType(inDtype);
  const key = `binary:${op}:${inDtype}:${outDtype}:${mode}`;
  const p = rt.pipeline(key, () => {
    const t = wgslType(inDtype);
    const walk = mode === 'same' ? '' : walkCode('gid', 1, 4, ['o0', 'o1']);
    return `${PRELUDE}${MATH}${TO_I32}${bind(1, 'x', t)}${bind(2, 'y', t)}${bind(3, 'out', wgslType(outDtype), true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${walk}
  let a = ${load(`x[${operandIndex(mode, 0)}]`, inDtype, ct)};
  let b = ${load(`y[${operandIndex(mode, 1)}]`, inDtype, ct)};
  let r = ${(ct === 'f32' ? BINARY_F : BINARY_I)[op]};
  out[gid] = ${convert('r', ct, outDtype)};
}`;
  });
  rt.dispatch(p, [a, b, out], words, grid1d(n));
}

export function whereKernel(
  rt: Runtime,
  cond: GPUBufferLike,
  condShape: readonly number[],
  a: GPUBufferLike,
  aShape: readonly number[],
  b: GPUBufferLike,
  bShape: readonly number[],
  dtype: DType,
  out: GPUBufferLike,
  outShape: readonly number[],
  n: number,
): void {
  const { mode, words } = plan([condShape, aShape, bShape], outShape, n);
  const p = rt.pipeline(`where:${dtype}:${mode}`, () => {
    const t = wgslType(dtype);
    const walk = mode === 'same' ? '' : walkCode('gid', 1, 4, ['o0', 'o1', 'o2']);
    return `${PRELUDE}${bind(1, 'c', 'u32')}${bind(2, 'x', t)}${bind(3, 'y', t)}${bind(4, 'out', t, true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${walk}
  out[gid] = select(y[${operandIndex(mode, 2)}], x[${operandIndex(mode, 1)}], c[${operandIndex(mode, 0)}] != 0u);
}`;
  });
  rt.dispatch(p, [cond, a, b, out], words, grid1d(n));
}

/** Fills with one value, given as the bits of its storage type. */
export function fillKernel(rt: Runtime, out: GPUBufferLike, n: number, bits: number): void {
  const p = rt.pipeline(
    'fill',
    () => `${PRELUDE}${bind(1, 'out', 'u32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  out[gid] = pu(1u);
}`,
  );
  rt.dispatch(p, [out], [n, bits], grid1d(n));
}

/** The storage bits of a value already rounded as the dtype stores it. */
export function valueBits(value: number, dtype: DType): number {
  return dtype === 'float32' ? f32Bits(value) : value | 0;
}

export function castKernel(
  rt: Runtime,
  x: GPUBufferLike,
  from: DType,
  out: GPUBufferLike,
  to: DType,
  n: number,
): void {
  const p = rt.pipeline(`cast:${from}:${to}`, () => {
    const ct = computeType(from);
    return `${PRELUDE}${TO_I32}${bind(1, 'x', wgslType(from))}${bind(2, 'out', wgslType(to), true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let v = ${load('x[gid]', from, ct)};
  out[gid] = ${convert('v', ct, to)};
}`;
  });
  rt.dispatch(p, [x, out], [n], grid1d(n));
}

export { MAX_RANK };
