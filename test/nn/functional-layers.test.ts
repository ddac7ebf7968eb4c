import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, Generator, IndexError, ShapeError, nn, ones, tensor, zeros } from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';

const F = nn.functional;

forEachBackend('nn.functional layers', () => {
  it('linear: y = x·Wᵀ + b', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const w = tensor([
      [1, 0],
      [1, 1],
      [0, -1],
    ]);
    assertClose(F.linear(x, w, tensor([0.5, 0, 1])), [
      [1.5, 3, -1],
      [3.5, 7, -3],
    ]);
    assertClose(F.linear(tensor([1, 2]), w), [1, 3, -2]);
  });

  it('linear: gradients for 2-D, 3-D and vector inputs and a transposed weight', () => {
    checkGrad((x, w, b) => F.linear(x, w, b), [ramp([4, 3]), ramp([2, 3]), ramp([2])]);
    checkGrad((x, w, b) => F.linear(x, w, b), [ramp([2, 4, 3]), ramp([2, 3]), ramp([2])]);
    checkGrad((x, w) => F.linear(x, w), [ramp([3]), ramp([2, 3])]);
    checkGrad((x, wt) => F.linear(x.transpose(0, 1), wt.t()), [ramp([3, 4]), ramp([3, 2])]);
    checkGradGrad((x, w, b) => F.linear(x, w, b).tanh(), [ramp([2, 3]), ramp([2, 3]), ramp([2])]);
  });

  it('linear: errors name the shapes and dtypes', () => {
    assertThrowsMatch(
      () => F.linear(ones([2, 3]), ones([4, 2])),
      ShapeError,
      /^linear: input shape \[2,3\] and weight shape \[4,2\]/,
    );
    assertThrowsMatch(() => F.linear(ones([2, 3]), ones([3])), ShapeError, /^linear: weight must be 2-D/);
    assertThrowsMatch(
      () => F.linear(ones([2, 3]), ones([4, 3]), ones([3])),
      ShapeError,
      /^linear: bias shape \[3\]/,
    );
    assertThrowsMatch(
      () => F.linear(ones([2, 3], { dtype: 'int32' }), ones([4, 3])),
      DTypeError,
      /^linear: .*int32/,
    );
  });

  it('batchNorm: normalizes with batch stats and updates running stats (unbiased variance)', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 6],
      ],
      { dtype: 'float64' },
    );
    const rm = zeros([2], { dtype: 'float64' });
    const rv = ones([2], { dtype: 'float64' });
    const out = F.batchNorm(x, rm, rv, null, null, true, 0.1, 0);
    assertClose(out, [
      [-1, -1],
      [1, 1],
    ]);
    assertClose(rm, [0.2, 0.4]);
    assertClose(rv, [0.9 + 0.1 * 2, 0.9 + 0.1 * 8]);
    // Eval: (x − running_mean)/√(running_var + eps)·weight + bias.
    const y = F.batchNorm(
      x,
      rm,
      rv,
      tensor([2, 1], { dtype: 'float64' }),
      tensor([0, 1], { dtype: 'float64' }),
      false,
      0.1,
      0,
    );
    assertClose(y.select(0, 0), [(2 * (1 - 0.2)) / Math.sqrt(1.1), (2 - 0.4) / Math.sqrt(1.7) + 1]);
  });

  it('batchNorm: gradients in training and eval, [N, C] and [N, C, L]', () => {
    const train = (x: Tensor, w: Tensor, b: Tensor) => F.batchNorm(x, null, null, w, b, true);
    checkGrad(train, [ramp([5, 3]), ramp([3]), ramp([3])]);
    checkGrad(train, [ramp([2, 3, 4]), ramp([3]), ramp([3])]);
    checkGrad((x) => F.batchNorm(x.transpose(0, 1), null, null, null, null, true), [ramp([3, 4])]);
    checkGradGrad(train, [ramp([4, 2]), ramp([2]), ramp([2])]);
    const rm = ramp([3], -0.5, 0.5, false);
    const rv = ramp([3], 0.5, 2, false);
    checkGrad((x, w, b) => F.batchNorm(x, rm, rv, w, b, false), [ramp([4, 3]), ramp([3]), ramp([3])]);
  });

  it('batchNorm: errors', () => {
    const x = ones([4, 3]);
    assertThrowsMatch(
      () => F.batchNorm(x, zeros([2]), ones([2]), null, null, true),
      ShapeError,
      /^batchNorm: runningMean should have shape \[3\]/,
      /\[4,3\]/,
    );
    assertThrowsMatch(
      () => F.batchNorm(x, null, null, null, null, false),
      IndexError,
      /^batchNorm: runningMean and runningVar are required/,
    );
    assertThrowsMatch(() => F.batchNorm(ones([3]), null, null), ShapeError, /^batchNorm: .*\[3\]/);
  });

  it('layerNorm: values and gradients over one and two trailing dims', () => {
    const y = F.layerNorm(tensor([[1, 2, 3]], { dtype: 'float64' }), [3], null, null, 0);
    const s = Math.sqrt(2 / 3);
    assertClose(y, [[-1 / s, 0, 1 / s]]);
    checkGrad((x, w, b) => F.layerNorm(x, [3], w, b), [ramp([4, 3]), ramp([3]), ramp([3])]);
    checkGrad((x, w, b) => F.layerNorm(x, [3, 4], w, b), [ramp([2, 3, 4]), ramp([3, 4]), ramp([3, 4])]);
    checkGrad((x) => F.layerNorm(x.t(), 4), [ramp([4, 2])]);
    checkGradGrad((x, w) => F.layerNorm(x, [3], w), [ramp([2, 3]), ramp([3])]);
    assertThrowsMatch(
      () => F.layerNorm(ones([2, 3]), [3], ones([4])),
      ShapeError,
      /^layerNorm: weight should have shape \[3\]/,
    );
  });

  it('embedding: lookup of any index shape, gradient accumulates repeated rows', () => {
    const w = tensor(
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const idx = tensor([[2], [0], [2]], { dtype: 'int32' });
    const out = F.embedding(idx, w);
    assert.deepEqual(out.shape, [3, 1, 2]);
    assertClose(out, [[[4, 5]], [[0, 1]], [[4, 5]]]);
    out.sum().backward();
    assertClose(w.grad!, [
      [1, 1],
      [0, 0],
      [2, 2],
    ]);
    checkGrad((v) => F.embedding(tensor([1, 0, 1, 3], { dtype: 'int32' }), v), [ramp([4, 3])]);
    // With paddingIdx, the padding row is still read but gets no gradient.
    const v = ramp([4, 2]);
    F.embedding(tensor([1, 2, 1], { dtype: 'int32' }), v, 1)
      .sum()
      .backward();
    assertClose(v.grad!, [
      [0, 0],
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
    assertThrowsMatch(
      () => F.embedding(tensor([0]), w),
      DTypeError,
      /^embedding: indices must be an int32 tensor, got dtype float32/,
    );
    assertThrowsMatch(
      () => F.embedding(tensor([0], { dtype: 'int32' }), ones([3])),
      ShapeError,
      /^embedding: weight must be 2-D/,
    );
  });

  it('dropout: gradient through a fixed mask, training flag, p checks', () => {
    checkGrad((x) => F.dropout(x, 0.4, true, { generator: new Generator(3) }), [ramp([4, 5])]);
    const x = ramp([3, 3]);
    assert.equal(F.dropout(x, 0.5, false), x);
    assertThrowsMatch(
      () => F.dropout(x, -0.1),
      IndexError,
      /^dropout: dropout probability has to be between 0 and 1, but got -0\.1/,
    );
  });

  it('activations are re-exported and differentiable', () => {
    const fns: [string, (x: Tensor) => Tensor][] = [
      ['relu', (x) => F.relu(x)],
      ['leakyRelu', (x) => F.leakyRelu(x, 0.1)],
      ['elu', (x) => F.elu(x, 0.5)],
      ['gelu', (x) => F.gelu(x)],
      ['silu', (x) => F.silu(x)],
      ['sigmoid', (x) => F.sigmoid(x)],
      ['tanh', (x) => F.tanh(x)],
      ['softplus', (x) => F.softplus(x)],
      ['softmax', (x) => F.softmax(x, 1)],
      ['logSoftmax', (x) => F.logSoftmax(x, 0)],
    ];
    for (const [name, fn] of fns) {
      assert.doesNotThrow(() => checkGrad(fn, [ramp([3, 4], -1.9, 2.2)]), name);
    }
  });
});
