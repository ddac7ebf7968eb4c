import type { DType } from '../../tensor/dtype.js';
import { stridesOf } from '../../tensor/shape.js';
import type { ArgReduceOp, CumulativeOp, ReduceOp } from '../backend.js';
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import {
  MAX_RANK,
  PRELUDE,
  TO_I32,
  bind,
  convert,
  entry,
  grid,
  grid1d,
  load,
  walkCode,
  walkWords,
  wgslType,
} from './wgsl.js';

/** Threads that share one output when a reduction is long. */
const RWG = 128;
/**
 * Whether outputs get a workgroup each (partial sums, then a tree) rather than a thread: for long
 * reductions, or few outputs of moderate length. Workgroup barriers are costly where the
 * device is emulated, and a thread per output already fills a GPU when outputs are many.
 */
const wideReduce = (len: number, nOut: number) => len >= 2048 || (len >= 64 && nOut <= 4);

/**
 * WGSL that folds a workgroup's values (in shared array `sh`, one per thread) into sh[0] with
 * `combine(x, y)`: a tree, whose rounding error grows with log(n), not n.
 */
function tree(sh: string, combine: (x: string, y: string) => string, wg = RWG): string {
  return `workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { ${sh}[lid] = ${combine(`${sh}[lid]`, `${sh}[lid + s]`)}; }
    workgroupBarrier();
  }`;
}

const STEP: Record<ReduceOp, (a: string, v: string, ct: 'f32' | 'i32') => string> = {
  sum: (a, v) => `${a} + ${v}`,
  prod: (a, v) => `${a} * ${v}`,
  // NaN propagates, as in PyTorch.
  max: (a, v, ct) =>
    ct === 'f32' ? `select(${a}, ${v}, !isNan(${a}) && (isNan(${v}) || ${v} > ${a}))` : `max(${a}, ${v})`,
  min: (a, v, ct) =>
    ct === 'f32' ? `select(${a}, ${v}, !isNan(${a}) && (isNan(${v}) || ${v} < ${a}))` : `min(${a}, ${v})`,
};

const INIT: Record<ReduceOp, { f32: string; i32: string }> = {
  sum: { f32: '0.0', i32: '0' },
  prod: { f32: '1.0', i32: '1' },
  max: { f32: '-inf()', i32: '-2147483647 - 1' },
  min: { f32: 'inf()', i32: '2147483647' },
};

/**
 * Reduces `axes` (kept as size 1). The dims are split into kept and reduced ones, each list merged
 * where contiguous; an output's elements are found by walking the reduced dims from the offset of
 * its kept coordinates. Long reductions give each output a workgroup (strided partial sums, then a
 * tree), short ones a thread.
 */
export function reduceKernel(
  rt: Runtime,
  op: ReduceOp,
  x: GPUBufferLike,
  inDtype: DType,
  shape: readonly number[],
  axes: readonly number[],
  out: GPUBufferLike,
  outDtype: DType,
): void {
  const st = stridesOf(shape);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d) && shape[d] !== 1);
  const red = shape.map((_, d) => d).filter((d) => axes.includes(d) && shape[d] !== 1);
  const nOut = kept.reduce((a, d) => a * shape[d], 1);
  const len = red.reduce((a, d) => a * shape[d], 1);
  if (nOut === 0) return;
  const ct = outDtype === 'float32' ? 'f32' : 'i32';
  const wide = wideReduce(len, nOut);
  // JS stores ±Infinity into an integer array as 0: an empty integer max/min gives 0.
  const empty = ct === 'f32' ? INIT[op].f32 : op === 'max' || op === 'min' ? '0' : INIT[op].i32;
  const p = rt.pipeline(`reduce:${op}:${inDtype}:${outDtype}:${wide}`, () => {
    const v = load('x[u32(base + r0)]', inDtype, ct);
    const body = `${walkCode('o', 2, 4, ['base'])}
    ${walkCode('j', 3, 4 + 2 * MAX_RANK, ['r0'])}`;
    const step = (a: string) => `${a} = ${STEP[op](a, 'v', ct)};`;
    const head = `${PRELUDE}${TO_I32}${bind(1, 'x', wgslType(inDtype))}${bind(2, 'out', wgslType(outDtype), true)}`;
    if (!wide) {
      return `${head}
${entry()}
  let o = gid;
  if (o >= pu(0u)) { return; }
  var acc: ${ct} = ${INIT[op][ct]};
  for (var j = 0u; j < pu(1u); j++) {
    ${body}
    let v = ${v};
    ${step('acc')}
  }
  if (pu(1u) == 0u) { acc = ${empty}; }
  out[o] = ${convert('acc', ct, outDtype)};
}`;
    }
    return `${head}var<workgroup> sh: array<${ct}, ${RWG}>;
${entry(RWG)}
  let o = group;
  if (o >= pu(0u)) { return; }
  var acc: ${ct} = ${INIT[op][ct]};
  for (var j = lid; j < pu(1u); j += ${RWG}u) {
    ${body}
    let v = ${v};
    ${step('acc')}
  }
  sh[lid] = acc;
  ${tree('sh', (a, b) => STEP[op](a, b, ct))}
  if (lid == 0u) { out[o] = ${convert('sh[0]', ct, outDtype)}; }
}`;
  });
  const words = [
    nOut,
    len,
    kept.length,
    red.length,
    ...walkWords(
      'reduce',
      kept.map((d) => shape[d]),
      [kept.map((d) => st[d])],
    ),
    ...walkWords(
      'reduce',
      red.map((d) => shape[d]),
      [red.map((d) => st[d])],
    ),
  ];
  rt.dispatch(p, [x, out], words, wide ? grid(nOut) : grid1d(nOut));
}

/** outer × n × inner around one axis. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
  return [prod(shape.slice(0, axis)), shape[axis], prod(shape.slice(axis + 1))];
}

/**
 * Index of the max/min along an axis: the first NaN, else the first best. Each thread scans its
 * share of the line in order, then (index, value) pairs are combined by a tree that prefers NaN,
 * then the better value, then the lower index.
 */
export function argReduceKernel(
  rt: Runtime,
  op: ArgReduceOp,
  x: GPUBufferLike,
  dtype: DType,
  shape: readonly number[],
  axis: number,
  out: GPUBufferLike,
): void {
  const [outer, n, inner] = around(shape, axis);
  const nOut = outer * inner;
  if (nOut === 0 || n === 0) return;
  const t = wgslType(dtype);
  const wide = wideReduce(n, nOut);
  const cmp = op === 'argmax' ? '>' : '<';
  const p = rt.pipeline(`arg:${op}:${dtype}:${wide}`, () => {
    const nanOf = (v: string) => (t === 'f32' ? `isNan(${v})` : 'false');
    // Whether candidate (v, i) beats (b, bi); indices only break ties.
    const beats = `fn beats(v: ${t}, i: u32, b: ${t}, bi: u32) -> bool {
  if (i == 0xffffffffu) { return false; }
  if (bi == 0xffffffffu) { return true; }
  let vn = ${nanOf('v')}; let bn = ${nanOf('b')};
  if (vn || bn) { return vn && (!bn || i < bi); }
  return v ${cmp} b || (v == b && i < bi);
}\n`;
    const scan = (start: string, step: string) => `
  let o = OUT;
  let base = (o / pu(2u)) * pu(1u) * pu(2u) + o % pu(2u);
  var best: ${t} = x[base];
  var bi = 0xffffffffu;
  for (var j = ${start}; j < pu(1u); j += ${step}) {
    let v = x[base + j * pu(2u)];
    if (beats(v, j, best, bi)) { best = v; bi = j; }
  }`;
    if (!wide) {
      return `${PRELUDE}${beats}${bind(1, 'x', t)}${bind(2, 'out', 'i32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${scan('0u', '1u').replace('OUT', 'gid')}
  out[o] = i32(bi);
}`;
    }
    return `${PRELUDE}${beats}${bind(1, 'x', t)}${bind(2, 'out', 'i32', true)}
var<workgroup> shv: array<${t}, ${RWG}>;
var<workgroup> shi: array<u32, ${RWG}>;
${entry(RWG)}
  if (group >= pu(0u)) { return; }
  ${scan('lid', `${RWG}u`).replace('OUT', 'group')}
  shv[lid] = best;
  shi[lid] = bi;
  workgroupBarrier();
  for (var s = ${RWG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s && beats(shv[lid + s], shi[lid + s], shv[lid], shi[lid])) {
      shv[lid] = shv[lid + s];
      shi[lid] = shi[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) { out[o] = i32(shi[0]); }
}`;
  });
  rt.dispatch(p, [x, out], [nOut, n, inner], wide ? grid(nOut) : grid1d(nOut));
}

/** Running sum/product along an axis: one thread per line (lines are independent). */
export function cumulativeKernel(
  rt: Runtime,
  op: CumulativeOp,
  x: GPUBufferLike,
  dtype: DType,
  shape: readonly number[],
  axis: number,
  out: GPUBufferLike,
): void {
  const [outer, n, inner] = around(shape, axis);
  if (outer * inner * n === 0) return;
  const t = wgslType(dtype);
  const ct = dtype === 'float32' ? 'f32' : 'i32';
  const p = rt.pipeline(`cum:${op}:${dtype}`, () => {
    return `${PRELUDE}${TO_I32}${bind(1, 'x', t)}${bind(2, 'out', t, true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let base = (gid / pu(2u)) * pu(1u) * pu(2u) + gid % pu(2u);
  var acc: ${ct} = ${op === 'sum' ? `${ct}(0)` : `${ct}(1)`};
  for (var j = 0u; j < pu(1u); j++) {
    let i = base + j * pu(2u);
    acc = acc ${op === 'sum' ? '+' : '*'} ${load('x[i]', dtype, ct)};
    out[i] = ${convert('acc', ct, dtype)};
  }
}`;
  });
  rt.dispatch(p, [x, out], [outer * inner, n, inner], grid1d(outer * inner));
}

/**
 * Stable argsort by ranking: each element counts the elements of its line that sort before it
 * (smaller keys, or equal keys at lower positions), which is its place in the output. Quadratic
 * in the line length but fully parallel; NaN sorts as +Infinity, as the reference does.
 */
export function argsortKernel(
  rt: Runtime,
  x: GPUBufferLike,
  dtype: DType,
  shape: readonly number[],
  axis: number,
  descending: boolean,
  out: GPUBufferLike,
): void {
  const [outer, n, inner] = around(shape, axis);
  const total = outer * n * inner;
  if (total === 0) return;
  const t = wgslType(dtype);
  const p = rt.pipeline(`argsort:${dtype}:${descending}`, () => {
    const key = (v: string) => (t === 'f32' ? `select(${v}, inf(), isNan(${v}))` : v);
    return `${PRELUDE}${bind(1, 'x', t)}${bind(2, 'out', 'i32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let n = pu(1u);
  let inner = pu(2u);
  let k = gid % inner;
  let j = (gid / inner) % n;
  let base = (gid / (inner * n)) * n * inner + k;
  let me = ${key('x[gid]')};
  var rank = 0u;
  for (var q = 0u; q < n; q++) {
    let v = ${key('x[base + q * inner]')};
    if (v ${descending ? '>' : '<'} me || (v == me && q < j)) { rank++; }
  }
  out[base + rank * inner] = i32(j);
}`;
  });
  rt.dispatch(p, [x, out], [total, n, inner], grid1d(total));
}
