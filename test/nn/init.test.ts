import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  DTypeError,
  Generator,
  IndexError,
  ShapeError,
  manualSeed,
  nn,
  ones,
  zeros,
} from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const init = nn.init;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(t.to('float64').dataSync());
  const mean = v.reduce((s, a) => s + a, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

/** A parameter-like float64 tensor that requires grad: init must fill it without recording. */
function param(shape: number[]): Tensor {
  return zeros(shape, { dtype: 'float64', requiresGrad: true });
}

forEachBackend('nn.init', () => {
  it('calculateGain matches PyTorch', () => {
    assert.equal(init.calculateGain('linear'), 1);
    assert.equal(init.calculateGain('sigmoid'), 1);
    assert.equal(init.calculateGain('tanh'), 5 / 3);
    assert.equal(init.calculateGain('relu'), Math.SQRT2);
    assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
    assert.equal(init.calculateGain('selu'), 0.75);
    assertThrowsMatch(
      () => init.calculateGain('swish' as never),
      IndexError,
      /^calculateGain: unsupported nonlinearity 'swish'/,
    );
  });

  it('fans of 2-D and higher tensors; 1-D is an error', () => {
    assert.deepEqual(init.calculateFanInAndFanOut(zeros([3, 5])), [5, 3]);
    assert.deepEqual(init.calculateFanInAndFanOut(zeros([4, 2, 3, 3])), [18, 36]);
    assertThrowsMatch(
      () => init.calculateFanInAndFanOut(zeros([3])),
      ShapeError,
      /fewer than 2 dims \(shape \[3\]\)/,
    );
  });

  it('fills in place, unrecorded, returning the same tensor', () => {
    const p = param([20, 30]);
    const r = init.xavierUniform(p);
    assert.equal(r, p);
    assert.equal(p.gradFn, null);
    assert.equal(p.requiresGrad, true);
    assert.notEqual(p.abs().sum().item(), 0);
    assertClose(init.constant(p, 0.25), new Array(20).fill(new Array(30).fill(0.25)));
    assertClose(init.ones(zeros([2])), [1, 1]);
    assertClose(init.zeros(ones([2])), [0, 0]);
    assertClose(init.eye(zeros([2, 3])), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    assertThrowsMatch(
      () => init.uniform(zeros([2], { dtype: 'int32' })),
      DTypeError,
      /^uniform: expected a floating-point tensor/,
    );
  });

  it('uniform, normal and truncNormal have the asked distribution', () => {
    manualSeed(0);
    const u = stats(init.uniform(param([100, 100]), -2, 4));
    assert.ok(
      u.min >= -2 && u.max < 4 && Math.abs(u.mean - 1) < 0.05 && Math.abs(u.std - Math.sqrt(3)) < 0.03,
    );
    const n = stats(init.normal(param([100, 100]), 3, 0.5));
    assert.ok(Math.abs(n.mean - 3) < 0.02 && Math.abs(n.std - 0.5) < 0.01);
    const t = stats(init.truncNormal(param([100, 100]), 0, 1, -1, 1));
    assert.ok(t.min >= -1 && t.max <= 1 && t.std < 0.6 && t.std > 0.5);
  });

  it('xavier and kaiming use PyTorch bounds and standard deviations', () => {
    manualSeed(1);
    // fanIn 200, fanOut 100.
    const xu = stats(init.xavierUniform(param([100, 200]), 2));
    const a = 2 * Math.sqrt(6 / 300);
    assert.ok(xu.max <= a && xu.min >= -a && Math.abs(xu.std - a / Math.sqrt(3)) < 0.01 * a);
    const xn = stats(init.xavierNormal(param([100, 200])));
    assert.ok(Math.abs(xn.std - Math.sqrt(2 / 300)) < 0.02 * Math.sqrt(2 / 300));
    const ku = stats(init.kaimingUniform(param([100, 200])));
    const b = Math.sqrt(6 / 200); // gain √2 (leaky_relu, a = 0) · √(3/fanIn)
    assert.ok(ku.max <= b && ku.min >= -b && Math.abs(ku.std - b / Math.sqrt(3)) < 0.02 * b);
    const kn = stats(init.kaimingNormal(param([100, 200]), 0, 'fanOut', 'relu'));
    assert.ok(Math.abs(kn.std - Math.SQRT2 / 10) < 0.02 * (Math.SQRT2 / 10), `std ${kn.std}`);
    assertThrowsMatch(
      () => init.kaimingUniform(param([2, 2]), 0, 'fan_avg' as never),
      IndexError,
      /^kaimingUniform: mode must be 'fanIn' or 'fanOut'/,
    );
  });

  it('orthogonal gives orthonormal rows or columns, scaled by gain, for any shape', () => {
    for (const shape of [
      [5, 3],
      [3, 5],
      [4, 4],
      [2, 3, 2],
    ]) {
      const q = init.orthogonal(param(shape), 2).reshape([shape[0], -1]);
      const [r, c] = q.shape;
      const gram = r >= c ? q.t().matmul(q) : q.matmul(q.t());
      const k = Math.min(r, c);
      const eye = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 4 : 0)));
      assertClose(gram, eye, { atol: 1e-10 });
    }
    assertThrowsMatch(
      () => init.orthogonal(param([4])),
      ShapeError,
      /^orthogonal: only tensors with 2 or more dims/,
    );
  });

  it('the same generator seed gives the same values', () => {
    for (const fill of [
      (t: Tensor, g: Generator) => init.normal(t, 0, 1, { generator: g }),
      (t: Tensor, g: Generator) =>
        init.kaimingUniform(t, Math.sqrt(5), 'fanIn', 'leaky_relu', { generator: g }),
      (t: Tensor, g: Generator) => init.orthogonal(t, 1, { generator: g }),
    ]) {
      const a = fill(param([3, 4]), new Generator(42));
      const b = fill(param([3, 4]), new Generator(42));
      const c = fill(param([3, 4]), new Generator(43));
      assertClose(a, b);
      assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
    }
  });
});
