/**
 * The in-page harness of the WebGPU conformance suite (runs in the browser, imported by the page
 * that test/webgpu/webgpu.test.ts opens): runs a kernel on the reference 'js' backend and on
 * 'webgpu' with the same inputs and compares what comes back. Nothing here runs at import time.
 */
import type { Backend, DType, Storage, TypedArray } from '../../src/index.js';

export interface Result {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

export const results: Result[] = [];

export function record(name: string, ok: boolean, detail?: string): void {
  results.push(ok ? { name, ok } : { name, ok, detail });
}

/** Deterministic values in [lo, hi) (an LCG, so that failures reproduce). */
export function randoms(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 7919 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** Two interleaved rings (two classes) that a small MLP learns, as float32/int32 host arrays. */
export function rings(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = randoms(2 * n, seed);
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    const angle = Math.PI * (r[2 * i] + 1);
    const radius = 0.5 + cls + 0.2 * r[2 * i + 1];
    x[2 * i] = radius * Math.cos(angle);
    x[2 * i + 1] = radius * Math.sin(angle);
    y[i] = cls;
  }
  return { x, y };
}

export function ints(n: number, seed = 1, lo = -5, hi = 5): Int32Array {
  return Int32Array.from(randoms(n, seed, lo, hi + 1), Math.floor);
}

export function bools(n: number, seed = 1): Uint8Array {
  return Uint8Array.from(randoms(n, seed), (v) => (v > 0 ? 1 : 0));
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The first mismatch of two arrays, or null: NaN matches NaN, numbers within atol + rtol·|ref|. */
export function mismatch(ref: TypedArray, got: TypedArray, tol: Tolerance = {}): string | null {
  if (ref.length !== got.length) return `length ${got.length}, expected ${ref.length}`;
  if (ref.constructor !== got.constructor)
    return `type ${got.constructor.name}, expected ${ref.constructor.name}`;
  const atol = tol.atol ?? 1e-6;
  const rtol = tol.rtol ?? 1e-5;
  for (let i = 0; i < ref.length; i++) {
    const e = ref[i];
    const a = got[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    if (Number.isFinite(e) && Math.abs(a - e) <= atol + rtol * Math.abs(e)) continue;
    return `[${i}] got ${a}, expected ${e}`;
  }
  return null;
}

/** The kernel under test: storages of `inputs` in, one or more storages out. */
export type Kernel = (b: Backend, inputs: Storage[]) => Storage | Storage[];

let js: Backend;
let gpu: Backend & { errors: readonly string[] };

export function useBackends(reference: Backend, device: Backend & { errors: readonly string[] }): void {
  js = reference;
  gpu = device;
}

/**
 * Runs `kernel` on both backends and records whether every output agrees. Throwing counts as an
 * outcome too: both must throw, or neither.
 */
export async function check(
  name: string,
  inputs: TypedArray[],
  kernel: Kernel,
  tol?: Tolerance,
): Promise<void> {
  let ref: TypedArray[] | Error;
  try {
    const out = kernel(
      js,
      inputs.map((x) => js.upload(x.slice())),
    );
    ref = (Array.isArray(out) ? out : [out]).map((s) => js.readSync(s));
  } catch (e) {
    ref = e as Error;
  }
  let got: TypedArray[] | Error;
  try {
    const out = kernel(
      gpu,
      inputs.map((x) => gpu.upload(x.slice())),
    );
    got = await Promise.all((Array.isArray(out) ? out : [out]).map((s) => gpu.read(s)));
  } catch (e) {
    got = e as Error;
  }
  if (ref instanceof Error || got instanceof Error) {
    const same = ref instanceof Error && got instanceof Error;
    const say = (r: TypedArray[] | Error) => (r instanceof Error ? `threw ${r.message}` : 'returned');
    record(name, same, same ? undefined : `js ${say(ref)}, webgpu ${say(got)}`);
    return;
  }
  for (let i = 0; i < ref.length; i++) {
    const m = mismatch(ref[i], got[i], tol);
    if (m) {
      record(name, false, `output ${i}: ${m}`);
      return;
    }
  }
  record(name, true);
}

/** Records whether `fn` throws an error whose message matches `pattern`. */
export async function expectThrow(name: string, fn: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await fn();
    record(name, false, 'did not throw');
  } catch (e) {
    const msg = (e as Error).message;
    record(name, pattern.test(msg), pattern.test(msg) ? undefined : `threw '${msg}'`);
  }
}

const SPECIAL = Float32Array.from([
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  2.5,
  -3.5,
  1e-3,
  -1e-4,
  30,
  -30,
  100,
  -100,
  NaN,
  Infinity,
  -Infinity,
]);
/** Values in [-3, 3) led by special ones (zeros, NaN, ±Infinity, large and small). */
export const floats = (n: number, seed: number) => {
  const x = randoms(n, seed, -3, 3);
  x.set(SPECIAL.subarray(0, Math.min(n, SPECIAL.length)));
  return x;
};

/** Inputs of a dtype. */
export function input(dtype: DType, n: number, seed: number) {
  if (dtype === 'int32') return ints(n, seed);
  if (dtype === 'bool') return bools(n, seed);
  return floats(n, seed);
}

/** The broadcast of two shapes. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = a[a.length - n + i] ?? 1;
    const q = b[b.length - n + i] ?? 1;
    out.push(p === 1 ? q : p);
  }
  return out;
}

/** Every subset of 0..n-1. */
