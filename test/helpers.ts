import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { after, before, describe } from 'node:test';
import type { Tensor } from '../src/index.js';
import { useNodeWorkers } from '../src/node/wasm-threads.js';
import { getBackend, gradcheck, gradgradcheck, listBackends, setBackend, tensor } from '../src/index.js';

// As the package's Node entry does: relaxed-SIMD (FMA) for the WebAssembly backend on Node 20.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
// Worker threads for the wasm backend, but one thread unless CHAINRULE_THREADS asks for more.
useNodeWorkers(1);

/**
 * Runs a suite once per backend: every registered backend, or only CHAINRULE_BACKEND when set. Later
 * backends (WebAssembly, WebGPU) pass the very same tests as the reference.
 */
export function forEachBackend(title: string, body: (backend: string) => void): void {
  const only = process.env.CHAINRULE_BACKEND;
  const names = only ? [only] : listBackends();
  for (const name of names) {
    describe(`${title} [${name}]`, () => {
      // node:test collects every suite before it runs any test, so the backend is set twice: for
      // the describe body (collection) and, by a hook, for the tests. The default comes back after.
      const previous = getBackend().name;
      before(() => setBackend(name));
      after(() => setBackend(previous));
      setBackend(name);
      try {
        body(name);
      } finally {
        setBackend(previous);
      }
    });
  }
}

type Nested = number | boolean | Nested[];

/** Asserts a tensor's shape and values; numbers compare within atol + rtol·|expected|. */
export function assertClose(
  actual: Tensor,
  expected: Nested | Tensor,
  opts: { atol?: number; rtol?: number; shape?: readonly number[] } = {},
): void {
  const exp = isTensor(expected) ? expected : tensor(expected as never, { dtype: 'float64' });
  const shape = opts.shape ?? exp.shape;
  assert.deepEqual(
    [...actual.shape],
    [...shape],
    `shape ${JSON.stringify(actual.shape)} vs ${JSON.stringify(shape)}`,
  );
  const a = Array.from(actual.to('float64').dataSync());
  const e = Array.from(exp.to('float64').dataSync());
  const atol = opts.atol ?? (actual.dtype === 'float64' ? 1e-10 : 1e-5);
  const rtol = opts.rtol ?? (actual.dtype === 'float64' ? 1e-10 : 1e-5);
  assert.equal(a.length, e.length, 'number of elements');
  for (let i = 0; i < a.length; i++) {
    const ok =
      (Number.isNaN(a[i]) && Number.isNaN(e[i])) ||
      a[i] === e[i] ||
      Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    // The message prints the whole tensor: build it only on failure (once per element is quadratic).
    if (!ok) {
      assert.fail(
        `element ${i}: got ${a[i]}, expected ${e[i]} (atol ${atol}, rtol ${rtol})\nactual: ${String(actual)}`,
      );
    }
  }
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'storage' in x && 'shape' in x;
}

/** float64 tensor that requires grad, for gradcheck. */
export function leaf(data: Nested): Tensor {
  return tensor(data as never, { dtype: 'float64', requiresGrad: true });
}

/** Deterministic float64 values in a range, for gradcheck inputs without ties or kinks. */
export function ramp(shape: readonly number[], lo = -1, hi = 1, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  // A scrambled ramp: distinct values, not sorted along any dim.
  const v = Float64Array.from(
    { length: n },
    (_, i) => lo + ((hi - lo) * (((i * 7919) % (n + 1)) + 0.5)) / (n + 1),
  );
  return tensor(v, { shape, requiresGrad });
}

/** gradcheck that fails the test with its message. */
export function checkGrad(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], opts = {}): void {
  assert.equal(gradcheck(fn, inputs, opts), true);
}

export function checkGradGrad(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], opts = {}): void {
  assert.equal(gradgradcheck(fn, inputs, opts), true);
}

/** Asserts that fn throws an error of the class whose message matches every pattern. */
export function assertThrowsMatch(
  fn: () => unknown,
  cls: new (...a: any[]) => Error,
  ...patterns: RegExp[]
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return true;
  });
}
