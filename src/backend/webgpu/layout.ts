import type { DType } from '../../tensor/dtype.js';
import { fmtShape } from '../../tensor/errors.js';
import { stridesOf } from '../../tensor/shape.js';
import { coalesce } from '../js/layout.js';
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import { MAX_RANK, PRELUDE, bind, entry, grid1d, walkCode, walkWords, wgslType } from './wgsl.js';

/**
 * Accumulation into a buffer that several invocations may hit at once. Integers use atomicAdd;
 * float32 has no atomic add in WGSL, so its bits are updated by a compare-exchange loop that
 * retries until no other invocation changed the word in between. bool ORs (it only holds 0/1).
 */
function atomicAdd(dtype: DType, target: string, value: string): string {
  if (dtype === 'int32') return `atomicAdd(&${target}, ${value});`;
  if (dtype === 'bool') return `atomicOr(&${target}, select(0u, 1u, ${value} != 0u));`;
  return `{
    var old = atomicLoad(&${target});
    loop {
      let r = atomicCompareExchangeWeak(&${target}, old, bitcast<u32>(bitcast<f32>(old) + ${value}));
      if (r.exchanged) { break; }
      old = r.old_value;
    }
  }`;
}

const atomicType = (dtype: DType) => (dtype === 'int32' ? 'atomic<i32>' : 'atomic<u32>');

/** out[i] = x[offset + Σ index_d · strides_d], the walk merged where it is contiguous. */
export function asStridedKernel(
  rt: Runtime,
  x: GPUBufferLike,
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  out: GPUBufferLike,
  n: number,
): void {
  if (n === 0) return;
  const [dims, st] = coalesce(shape, strides);
  const t = wgslType(dtype);
  const p = rt.pipeline(`strided:${t}`, () => {
    return `${PRELUDE}${bind(1, 'x', t)}${bind(2, 'out', t, true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${walkCode('gid', 1, 4, ['off'])}
  out[gid] = x[u32(pi(2u) + off)];
}`;
  });
  rt.dispatch(p, [x, out], [n, dims.length, offset, 0, ...walkWords('asStrided', dims, [st])], grid1d(n));
}

/** The adjoint of asStrided: base (zeroed by the caller) += src along the walk, atomically. */
export function asStridedScatterKernel(
  rt: Runtime,
  src: GPUBufferLike,
  dtype: DType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  out: GPUBufferLike,
  n: number,
): void {
  if (n === 0) return;
  const [dims, st] = coalesce(shape, strides);
  const t = wgslType(dtype);
  const p = rt.pipeline(`stridedScatter:${dtype}`, () => {
    return `${PRELUDE}${bind(1, 'x', t)}${bind(2, 'out', atomicType(dtype), true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${walkCode('gid', 1, 4, ['off'])}
  ${atomicAdd(dtype, 'out[u32(pi(2u) + off)]', 'x[gid]')}
}`;
  });
  rt.dispatch(
    p,
    [src, out],
    [n, dims.length, offset, 0, ...walkWords('asStridedScatter', dims, [st])],
    grid1d(n),
  );
}

/** Copies one input of a concatenation into its columns of each output row. */
export function concatPartKernel(
  rt: Runtime,
  x: GPUBufferLike,
  dtype: DType,
  n: number,
  chunk: number,
  row: number,
  start: number,
  out: GPUBufferLike,
): void {
  if (n === 0) return;
  const t = wgslType(dtype);
  const p = rt.pipeline(`concat:${t}`, () => {
    return `${PRELUDE}${bind(1, 'x', t)}${bind(2, 'out', t, true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  out[(gid / pu(1u)) * pu(2u) + pu(3u) + gid % pu(1u)] = x[gid];
}`;
  });
  rt.dispatch(p, [x, out], [n, chunk, row, start], grid1d(n));
}

/**
 * Words for an indexed walk: each position of index (shape indexShape) maps to an offset in a
 * target of strides `targetStrides`, with the axis coordinate replaced by the index value.
 */
function indexWords(
  op: string,
  n: number,
  axis: number,
  axisSize: number,
  indexShape: readonly number[],
  lists: number[][],
): number[] {
  // The axis dim walks with stride 0 in the target: the index value supplies that coordinate.
  return [n, indexShape.length, axis, axisSize, ...walkWords(op, indexShape, lists)];
}

/**
 * WGSL that records an index fault: the first bad value and the code in parameter word `word`
 * (see Runtime.faultCode). compareExchangeWeak may fail spuriously, hence the loop.
 */
function faultCode(word: number): string {
  return `loop {
    let r = atomicCompareExchangeWeak(&fault[0], 0u, pu(${word}u));
    if (r.exchanged) { atomicStore(&fault[1], bitcast<u32>(v)); break; }
    if (r.old_value != 0u) { break; }
  }`;
}

const FAULT_BINDING = (binding: number) =>
  `@group(0) @binding(${binding}) var<storage, read_write> fault: array<atomic<u32>, 2>;\n`;

/** The IndexError text of a bad index, as the reference backend words it. */
const badIndex = (op: string, axis: number, shape: readonly number[]) => (v: number) =>
  `${op}: index ${v} is out of range for dim ${axis} of size ${shape[axis]} (shape ${fmtShape(shape)})`;

/** out[i] = x[target of i]; an index out of range gives 0 and a fault (kernels cannot throw). */
export function gatherKernel(
  rt: Runtime,
  x: GPUBufferLike,
  dtype: DType,
  xShape: readonly number[],
  axis: number,
  index: GPUBufferLike,
  indexShape: readonly number[],
  out: GPUBufferLike,
  n: number,
): void {
  if (n === 0) return;
  const t = wgslType(dtype);
  const xst = stridesOf(xShape);
  const tst = xst.map((s, d) => (d === axis ? 0 : s));
  const p = rt.pipeline(`gather:${t}`, () => {
    return `${PRELUDE}${bind(1, 'x', t)}${bind(2, 'idx', 'i32')}${bind(3, 'out', t, true)}${FAULT_BINDING(4)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${walkCode('gid', 1, 4, ['off'])}
  let v = idx[gid];
  if (v < 0 || v >= pi(3u)) {
    out[gid] = ${t}(0);
    ${faultCode(4 + 3 * MAX_RANK)}
    return;
  }
  out[gid] = x[u32(off + v * pi(${4 + 2 * MAX_RANK}u))];
}`;
  });
  const words = indexWords('gather', n, axis, xShape[axis], indexShape, [tst]);
  words.push(...new Array<number>(MAX_RANK).fill(0));
  words[4 + 2 * MAX_RANK] = xst[axis];
  const code = rt.faultCode(badIndex('gather', axis, xShape));
  rt.dispatch(p, [x, index, out, rt.faultBuffer], [...words.slice(0, 4 + 3 * MAX_RANK), code], grid1d(n));
}

/** out (a copy of base, made by the caller) [target of i] += src[i], atomically; bad indices fault. */
export function scatterAddKernel(
  rt: Runtime,
  out: GPUBufferLike,
  dtype: DType,
  baseShape: readonly number[],
  axis: number,
  index: GPUBufferLike,
  indexShape: readonly number[],
  src: GPUBufferLike,
  srcShape: readonly number[],
  n: number,
): void {
  if (n === 0) return;
  const t = wgslType(dtype);
  const bst = stridesOf(baseShape);
  const tst = bst.map((s, d) => (d === axis ? 0 : s));
  const sst = stridesOf(srcShape);
  const p = rt.pipeline(`scatterAdd:${dtype}`, () => {
    return `${PRELUDE}${bind(1, 'x', t)}${bind(2, 'idx', 'i32')}${bind(3, 'out', atomicType(dtype), true)}${FAULT_BINDING(4)}
${entry()}
  if (gid >= pu(0u)) { return; }
  ${walkCode('gid', 1, 4, ['off', 'soff'])}
  let v = idx[gid];
  if (v < 0 || v >= pi(3u)) {
    ${faultCode(5 + 3 * MAX_RANK)}
    return;
  }
  ${atomicAdd(dtype, `out[u32(off + v * pi(${4 + 3 * MAX_RANK}u))]`, 'x[u32(soff)]')}
}`;
  });
  const words = indexWords('scatterAdd', n, axis, baseShape[axis], indexShape, [tst, sst]);
  words.push(bst[axis], rt.faultCode(badIndex('scatterAdd', axis, baseShape)));
  rt.dispatch(p, [src, index, out, rt.faultBuffer], words, grid1d(n));
}
