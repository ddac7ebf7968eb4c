import type { DType } from '../../tensor/dtype.js';
import { BackendError } from '../../tensor/errors.js';
import { PARAM_WORDS } from './runtime.js';

/** Shared pieces of the WGSL kernels: parameter access, dtype mapping, the launch grid. */

/** Workgroup size of the elementwise kernels. */
export const WG = 256;
/** Dims a kernel's index walk supports after merging (the parameter slot holds this many). */
export const MAX_RANK = 8;

/** The WGSL element type of a dtype's storage. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  if (dtype === 'bool') return 'u32';
  throw noF64('storage', dtype);
}

/** The error for dtypes WGSL cannot compute in (float64: WGSL has no 64-bit floats). */
export function noF64(op: string, dtype: DType): BackendError {
  return new BackendError(
    `webgpu: ${op} does not support dtype ${dtype} (WGSL has no 64-bit floats); convert with .float() ` +
      "first, or use the 'js' or 'wasm' backend for float64",
  );
}

/** Throws noF64 if any dtype is float64. */
export function checkDTypes(op: string, ...dtypes: DType[]): void {
  for (const d of dtypes) if (d === 'float64') throw noF64(op, d);
}

/**
 * The parameter slot and helpers every kernel starts with. NaN and infinity are made at run time
 * (a private variable), since a constant expression that yields them is a compile error in WGSL;
 * NaN tests look at the bits, which fast-math compilers cannot fold away.
 */
export const PRELUDE = /* wgsl */ `
struct Params { v: array<vec4<u32>, ${PARAM_WORDS / 4}> }
@group(0) @binding(0) var<uniform> P: Params;
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn pu(i: u32) -> u32 { return P.v[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(pu(i)); }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
fn nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf() -> f32 { return bitcast<f32>(INF_BITS); }
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
`;

/** Entry point header: `gid` is the linear invocation index over a (possibly 2-D) grid. */
export function entry(wg = WG): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let group = wid.y * nwg.x + wid.x;
  let gid = group * ${wg}u + lid;`;
}

/** A storage binding declaration. */
export function bind(binding: number, name: string, type: string, write = false): string {
  return `@group(0) @binding(${binding}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<${type}>;\n`;
}

/** The grid for `groups` workgroups: wraps into a second dimension past the per-dimension limit. */
export function grid(groups: number): [number, number, number] {
  if (groups <= 65535) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / 65535);
  if (y > 65535) throw new BackendError(`webgpu: ${groups} workgroups exceed the dispatch limit`);
  return [65535, y, 1];
}

/** The grid for one invocation per item in workgroups of `wg`. */
export function grid1d(items: number, wg = WG): [number, number, number] {
  return grid(Math.ceil(items / wg));
}

/** Bits of a number as float32 (for parameter words). */
export function f32Bits(x: number): number {
  F32[0] = x;
  return U32[0];
}
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** A value converted from compute type `from` (f32 or i32) to the storage type of `to`. */
export function convert(expr: string, from: 'f32' | 'i32', to: DType): string {
  if (to === 'bool')
    return from === 'f32'
      ? `select(0u, 1u, ${expr} != 0.0 || isNan(${expr}))`
      : `select(0u, 1u, ${expr} != 0)`;
  if (to === 'int32') return from === 'f32' ? `toI32(${expr})` : expr;
  return from === 'f32' ? expr : `f32(${expr})`;
}

/**
 * f32 → i32 as storing into an Int32Array does: truncation, NaN and ±Infinity give 0, and values
 * beyond the range wrap modulo 2³² (WGSL's conversion would clamp).
 */
export const TO_I32 = `fn toI32(x: f32) -> i32 {
  if (isNan(x) || isInf(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  return bitcast<i32>(u32(t - floor(t / 4294967296.0) * 4294967296.0));
}
`;

/** A value of storage type `from` as compute type `to` (bool's u32 reads as 0/1). */
export function load(expr: string, from: DType, to: 'f32' | 'i32'): string {
  const t = wgslType(from);
  return t === to ? expr : `${to}(${expr})`;
}

/**
 * Parameter words for an index walk over `shape` with any number of stride lists, each padded to
 * MAX_RANK: [shape..., strides0..., strides1..., ...].
 */
export function walkWords(
  op: string,
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): number[] {
  if (shape.length > MAX_RANK) {
    throw new BackendError(`webgpu: ${op} needs ${shape.length} dims after merging (at most ${MAX_RANK})`);
  }
  const pad = (xs: readonly number[]) => [...xs, ...new Array<number>(MAX_RANK - xs.length).fill(0)];
  return [...pad(shape), ...strides.flatMap(pad)];
}

/**
 * WGSL that decomposes `index` over the walk whose rank is parameter `rankWord` and whose shape
 * starts at word `base`, summing coordinate × stride into i32 variables `offs` (stride list j at
 * base + (j+1)·MAX_RANK).
 */
export function walkCode(index: string, rankWord: number, base: number, offs: readonly string[]): string {
  const decl = offs.map((o) => `var ${o}: i32 = 0;`).join(' ');
  const sums = offs.map((o, j) => `${o} += c * pi(${base + (j + 1) * MAX_RANK}u + du);`).join(' ');
  return `${decl}
  {
    var rem = ${index};
    for (var d = i32(pu(${rankWord}u)) - 1; d >= 0; d--) {
      let du = u32(d);
      let s = pu(${base}u + du);
      let c = i32(rem % s);
      rem = rem / s;
      ${sums}
    }
  }`;
}

/**
 * Merges the dims of a walk over `shape` that every stride list lets be one (size-1 dims vanish; a
 * dim joins the next inner one when, in every list, its stride spans the inner one's whole extent).
 */
export function mergeDims(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((st, j) => st[d] === outStrides[j][last] * outShape[last])) {
      outShape[last] *= shape[d];
    } else {
      outShape.push(shape[d]);
      strides.forEach((st, j) => outStrides[j].push(st[d]));
    }
  }
  return [outShape.reverse(), outStrides.map((s) => s.reverse())];
}

/**
 * WGSL: tree-sums the workgroup's values of `v` into `total` through `sh` (workgroup memory of `wg`
 * floats, a power of two); every invocation must reach it (uniform control flow).
 */
export function treeSum(v: string, total: string, wg: number): string {
  return `sh[lid] = ${v};
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] = sh[lid] + sh[lid + s]; }
    workgroupBarrier();
  }
  let ${total} = sh[0];
  workgroupBarrier();`;
}
