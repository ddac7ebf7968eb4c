import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { Generator, autograd, nn, randn, tensor } from '../../src/index.js';
import { layerNormComposed } from '../../src/nn/functional/layernorm.js';
import { assertClose, forEachBackend } from '../helpers.js';

const F = nn.functional;

// Every backend has layer-norm kernels: the op is one recorded node everywhere.
forEachBackend('layerNorm as one op on the backend kernels', () => {
  it('matches the composed ops, values and gradients, with and without weight and bias', () => {
    const gen = new Generator(21);
    // Rows of 3 (a scalar tail only), 21 (vectors and a tail), 130, and one element.
    for (const [shape, k, affine] of [
      [[5, 3], 1, true],
      [[2, 3, 7], 2, true],
      [[3, 130], 1, false],
      [[4, 1], 1, true],
      [[2, 2, 8], 1, false],
    ] as [number[], number, boolean][]) {
      const x = randn(shape, { generator: gen }).mul(3).add(1).requiresGrad_();
      const ns = shape.slice(shape.length - k);
      const w = affine ? randn(ns, { generator: gen }).requiresGrad_() : null;
      const b = affine ? randn(ns, { generator: gen }).requiresGrad_() : null;
      const cot = randn(shape, { generator: gen });
      const y = F.layerNorm(x, ns, w, b);
      const grads = autograd.grad(y.mul(cot).sum(), [x, ...(affine ? [w!, b!] : [])]);
      const leaves = [x, w, b].map((t) => t && t.detach().clone().requiresGrad_());
      const ref = layerNormComposed(leaves[0]!, k, { weight: leaves[1], bias: leaves[2], eps: 1e-5 });
      const refGrads = autograd.grad(
        ref.mul(cot).sum(),
        leaves.filter((t): t is Tensor => t !== null),
      );
      const tag = `${JSON.stringify(shape)} k=${k} affine=${affine}`;
      assertClose(y, ref, { atol: 1e-5, rtol: 1e-5 });
      grads.forEach((g, i) => assertClose(g!, refGrads[i]!, { atol: 1e-4, rtol: 1e-4 }));
      assert.equal(y.gradFn?.name, 'layerNorm', `${tag}: one recorded op`);
    }
  });

  it('a constant row normalizes to zeros (rstd = 1/√eps), and gradients need only the input', () => {
    const y = F.layerNorm(tensor([[2, 2, 2, 2, 2]]), [5]);
    assertClose(y, [[0, 0, 0, 0, 0]]);
    const x = tensor([[1, 2, 4, 8, 16]]).requiresGrad_();
    const w = tensor([1, 2, 3, 4, 5]);
    F.layerNorm(x, [5], w)
      .mul(tensor([[1, -1, 2, 0, 3]]))
      .sum()
      .backward();
    const x2 = tensor([[1, 2, 4, 8, 16]]).requiresGrad_();
    layerNormComposed(x2, 1, { weight: w, bias: null, eps: 1e-5 })
      .mul(tensor([[1, -1, 2, 0, 3]]))
      .sum()
      .backward();
    assertClose(x.grad!, x2.grad!, { atol: 1e-5, rtol: 1e-5 });
  });

  it('empty inputs: no rows, and rows of no elements', () => {
    assert.deepEqual(F.layerNorm(randn([0, 4]), [4]).shape, [0, 4]);
    assert.deepEqual(F.layerNorm(randn([3, 0]), [0]).shape, [3, 0]);
  });
});
