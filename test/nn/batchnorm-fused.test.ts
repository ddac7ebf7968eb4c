import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { AutogradError, Generator, getBackend, nn, ones, randn, tensor, zeros } from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';

const F = nn.functional;
const KERNELS = ['batchNormStats', 'batchNormApply', 'batchNormBackward'] as const;
type Dtype = 'float32' | 'float64';

/** Runs fn with the backend's batch-norm kernels hidden (fused false), so batchNorm composes ops. */
function withKernels<T>(fused: boolean, fn: () => T): T {
  const be = getBackend() as unknown as Record<string, unknown>;
  const saved = KERNELS.map((k) => be[k]);
  if (!fused) for (const k of KERNELS) be[k] = undefined;
  try {
    return fn();
  } finally {
    KERNELS.forEach((k, i) => (be[k] = saved[i]));
  }
}

interface Run {
  y: Tensor;
  grads: (Tensor | null)[];
  rm: Tensor;
  rv: Tensor;
}

/**
 * Two training steps (so the running statistics are updated twice) and, with eval, an eval step;
 * then the gradients of Σ y·r for a fixed, non-trivial r.
 */
function run(fused: boolean, shape: number[], dtype: Dtype, affine: boolean, evalMode = false): Run {
  return withKernels(fused, () => {
    const g = new Generator(7);
    const c = shape[1];
    const x = randn(shape, { dtype, generator: g }).mul(3).add(1.5);
    x.requiresGrad = true;
    const w = affine ? randn([c], { dtype, generator: g }).add(1) : null;
    const b = affine ? randn([c], { dtype, generator: g }) : null;
    if (w) w.requiresGrad = true;
    if (b) b.requiresGrad = true;
    const rm = zeros([c], { dtype });
    const rv = ones([c], { dtype });
    F.batchNorm(x.detach().mul(0.5), rm, rv, w, b, true, 0.2);
    const y = F.batchNorm(x, rm, rv, w, b, !evalMode, 0.2);
    y.mul(randn(shape, { dtype, generator: g }))
      .sum()
      .backward();
    return { y, grads: [x.grad, w?.grad ?? null, b?.grad ?? null], rm, rv };
  });
}

function assertRunsClose(a: Run, b: Run, tol: number): void {
  const opts = { atol: tol, rtol: tol };
  assertClose(a.y, b.y, opts);
  a.grads.forEach((g, i) => {
    const h = b.grads[i];
    assert.equal(g === null, h === null, `gradient ${i} present in both`);
    if (g && h) assertClose(g, h, opts);
  });
  assertClose(a.rm, b.rm, opts);
  assertClose(a.rv, b.rv, opts);
}

forEachBackend('batchNorm with fused kernels', (name) => {
  it('has the kernels on this backend', () => {
    const be = getBackend() as unknown as Record<string, unknown>;
    for (const k of KERNELS) assert.equal(typeof be[k], 'function', `${name}.${k}`);
  });

  it('training: output, gradients and running stats equal the composed ops ([N, C], [N, C, L], [N, C, H, W])', () => {
    for (const shape of [
      [6, 3],
      [3, 2, 5],
      [4, 3, 5, 6],
    ]) {
      for (const affine of [true, false]) {
        assertRunsClose(run(true, shape, 'float64', affine), run(false, shape, 'float64', affine), 1e-12);
        assertRunsClose(run(true, shape, 'float32', affine), run(false, shape, 'float32', affine), 1e-5);
      }
    }
  });

  it('eval: output and gradients equal the composed ops', () => {
    for (const shape of [
      [5, 3],
      [2, 3, 4, 5],
    ]) {
      for (const affine of [true, false]) {
        const a = run(true, shape, 'float64', affine, true);
        assertRunsClose(a, run(false, shape, 'float64', affine, true), 1e-12);
        const b = run(true, shape, 'float32', affine, true);
        assertRunsClose(b, run(false, shape, 'float32', affine, true), 1e-5);
      }
    }
  });

  it('gradients by finite differences in training and eval, with and without affine', () => {
    const train = (x: Tensor, w: Tensor, b: Tensor) => F.batchNorm(x, null, null, w, b, true);
    checkGrad(train, [ramp([5, 3]), ramp([3]), ramp([3])]);
    checkGrad(train, [ramp([2, 3, 2, 3]), ramp([3], 0.5, 2), ramp([3])]);
    checkGrad((x) => F.batchNorm(x, null, null, null, null, true), [ramp([3, 2, 4])]);
    // Only γ requires grad: the input's gradient is not asked for.
    const x = ramp([4, 2, 3], -1, 1, false);
    checkGrad((w) => F.batchNorm(x, null, null, w, null, true), [ramp([2])]);
    const rm = ramp([3], -0.5, 0.5, false);
    const rv = ramp([3], 0.5, 2, false);
    checkGrad((x, w, b) => F.batchNorm(x, rm, rv, w, b, false), [ramp([2, 3, 2, 2]), ramp([3]), ramp([3])]);
  });

  it('second derivatives through the recorded backward, in training and eval', () => {
    const train = (x: Tensor, w: Tensor, b: Tensor) => F.batchNorm(x, null, null, w, b, true);
    checkGradGrad(train, [ramp([3, 2, 2, 2]), ramp([2], 0.5, 2), ramp([2])]);
    checkGradGrad((x) => F.batchNorm(x, null, null, null, null, true), [ramp([4, 3])]);
    const rm = ramp([2], -0.5, 0.5, false);
    const rv = ramp([2], 0.5, 2, false);
    checkGradGrad((x, w, b) => F.batchNorm(x, rm, rv, w, b, false), [ramp([3, 2, 2]), ramp([2]), ramp([2])]);
  });

  it('keeps the float32 variance accurate when the mean is large (1e4 + noise)', () => {
    const shape = [16, 2, 8, 8];
    const x = randn(shape, { generator: new Generator(3) }).add(1e4);
    const rm = zeros([2]);
    const rv = zeros([2]);
    // momentum 1: the running stats become the batch's mean and unbiased variance.
    const y = F.batchNorm(x, rm, rv, null, null, true, 1, 0);
    // The reference: float64 statistics of the very same float32 values.
    const v = x.dataSync();
    const per = 8 * 8;
    const n = 16 * per;
    const ref = [0, 1].map((c) => {
      let s = 0;
      for (let a = 0; a < 16; a++) for (let i = 0; i < per; i++) s += v[(a * 2 + c) * per + i];
      const mu = s / n;
      let q = 0;
      for (let a = 0; a < 16; a++) for (let i = 0; i < per; i++) q += (v[(a * 2 + c) * per + i] - mu) ** 2;
      return { mu, biased: q / n };
    });
    ref.forEach(({ mu, biased }, c) => {
      assert.ok(Math.abs(rm.dataSync()[c] - mu) <= 1e-3, `mean ${rm.dataSync()[c]} vs ${mu}`);
      const unbiased = (biased * n) / (n - 1);
      const got = rv.dataSync()[c];
      assert.ok(Math.abs(got - unbiased) <= 1e-5 * unbiased, `variance ${got} vs ${unbiased}`);
    });
    // The normalized output too, within the float32 rounding of the mean itself (half an ulp at 1e4 is
    // 4.9e-4, against a spread of 1).
    const out = y.dataSync();
    for (let i = 0; i < out.length; i++) {
      const { mu, biased } = ref[Math.floor(i / per) % 2];
      const want = (v[i] - mu) / Math.sqrt(biased);
      assert.ok(Math.abs(out[i] - want) <= 6e-4, `element ${i}: ${out[i]} vs ${want}`);
    }
  });

  it('falls back to composed ops when the parameters have another dtype', () => {
    const x = ramp([4, 2], -1, 1, false);
    const w32 = tensor([1.5, -0.5]);
    const y = F.batchNorm(x, null, null, w32, null, true);
    assert.equal(y.dtype, 'float64');
    assertClose(y, F.batchNorm(x, null, null, w32.to('float64'), null, true));
  });

  it('refuses a backward after the saved input was modified in place', () => {
    const x = ramp([4, 3]);
    const h = x.mul(1);
    const y = F.batchNorm(h, null, null, null, null, true);
    h.mul_(2);
    assertThrowsMatch(() => y.sum().backward(), AutogradError, /modified by an in-place operation/);
  });
});
