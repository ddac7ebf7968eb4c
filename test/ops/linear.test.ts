import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { Generator, autograd, getBackend, nn, randn, relu, setBackend, tensor } from '../../src/index.js';
import { linearActivation } from '../../src/nn/functional/layers.js';
import { assertClose, checkGrad, checkGradGrad, forEachBackend, ramp } from '../helpers.js';

const F = nn.functional;

/** act(x·wᵀ + b) on the reference backend by the composed ops, with the gradients of Σ y·c. */
function reference(xv: Tensor, wv: Tensor, bv: Tensor | null, act: 'none' | 'relu', c: Tensor) {
  const previous = getBackend().name;
  setBackend('js');
  try {
    const [x, w, b] = [xv, wv, bv].map((t) => t && tensor(Array.from(t.dataSync()), { shape: [...t.shape] }));
    for (const t of [x, w, b]) t?.requiresGrad_();
    let y = x!.matmul(w!.t());
    if (b) y = y.add(b);
    if (act === 'relu') y = relu(y);
    y.mul(tensor(Array.from(c.dataSync()), { shape: [...c.shape] }))
      .sum()
      .backward();
    return { y, gx: x!.grad!, gw: w!.grad!, gb: b?.grad ?? null };
  } finally {
    setBackend(previous);
  }
}

forEachBackend('linear op (fused product, bias and activation)', (backend) => {
  const fused = backend === 'wasm' || backend === 'webgpu';
  const g = () => new Generator(7);

  it('matches the composed product, bias and ReLU, forward and backward', () => {
    const gen = g();
    for (const [xShape, withBias, act] of [
      [[5, 3], true, 'relu'],
      [[5, 3], false, 'relu'],
      [[4, 6], true, 'none'],
      [[2, 3, 3], true, 'relu'],
      [[3], true, 'relu'],
      [[33, 17], true, 'relu'],
    ] as [number[], boolean, 'none' | 'relu'][]) {
      const K = xShape[xShape.length - 1];
      const x = randn(xShape, { generator: gen }).requiresGrad_();
      const w = randn([4, K], { generator: gen }).requiresGrad_();
      const b = withBias ? randn([4], { generator: gen }).requiresGrad_() : null;
      const y = linearActivation(x, w, b, act);
      const c = randn([...y.shape], { generator: gen });
      y.mul(c).sum().backward();
      const ref = reference(x, w, b, act, c);
      const tag = `${JSON.stringify(xShape)} bias ${withBias} ${act}`;
      assert.deepEqual(y.shape, ref.y.shape, tag);
      assertClose(y, ref.y, { atol: 1e-5 });
      assertClose(x.grad!, ref.gx, { atol: 1e-5 });
      assertClose(w.grad!, ref.gw, { atol: 1e-5 });
      if (b) assertClose(b.grad!, ref.gb!, { atol: 1e-5 });
      if (fused && xShape.length === 2) assert.equal(y.gradFn?.name, 'linear', `${tag}: one recorded op`);
    }
  });

  it('keeps NaN through ReLU, and an empty inner dim gives act(bias)', () => {
    const y = linearActivation(tensor([[NaN, 1]]), tensor([[1, 1]]), tensor([0]), 'relu');
    assert.ok(Number.isNaN(y.dataSync()[0]));
    const e = linearActivation(
      tensor([[], []], { shape: [2, 0] }),
      tensor([], { shape: [3, 0] }),
      tensor([1, -2, 3]),
      'relu',
    );
    assertClose(e, [
      [1, 0, 3],
      [1, 0, 3],
    ]);
    // 1-D and 3-D inputs with K = 0 too (the rows cannot be inferred from K there).
    const w0 = tensor([], { shape: [3, 0] });
    assertClose(F.linear(tensor([]), w0, tensor([1, -2, 3])), [1, -2, 3]);
    assert.deepEqual(F.linear(tensor([], { shape: [2, 2, 0] }), w0, tensor([1, 2, 3])).shape, [2, 2, 3]);
  });

  it('Sequential runs Linear → ReLU as one op, with the same numbers as the layers one by one', () => {
    const gen = new Generator(3);
    const model = new nn.Sequential(
      new nn.Linear(6, 8, { generator: gen }),
      new nn.ReLU(),
      new nn.Linear(8, 2, { generator: gen }),
    );
    const x = randn([5, 6], { generator: gen });
    const y = model.forward(x);
    let step = x;
    for (const m of model) step = m.forward(step);
    assertClose(y, step, { atol: 1e-6 });
    const [g1] = autograd.grad(y.sum(), [model[0].parameters()[0]]);
    const [g2] = autograd.grad(step.sum(), [model[0].parameters()[0]]);
    assertClose(g1!, g2!, { atol: 1e-6 });
  });

  it('gradients of gradients through the fused op agree with the composed ones', () => {
    const gen = new Generator(5);
    const xv = randn([4, 3], { generator: gen });
    const wv = randn([5, 3], { generator: gen });
    const bv = randn([5], { generator: gen });
    const secondOrder = (x: Tensor, w: Tensor, b: Tensor, y: Tensor) => {
      const [gx] = autograd.grad(y.pow(2).sum(), [x], { createGraph: true });
      assert.ok(gx);
      return autograd.grad(gx.pow(2).sum(), [w, b]);
    };
    const leaves = () => [xv, wv, bv].map((t) => t.clone().requiresGrad_());
    const [x1, w1, b1] = leaves();
    const fusedGrads = secondOrder(x1, w1, b1, linearActivation(x1, w1, b1, 'relu'));
    const [x2, w2, b2] = leaves();
    const composedGrads = secondOrder(x2, w2, b2, relu(F.linear(x2, w2, b2)));
    assertClose(fusedGrads[0]!, composedGrads[0]!, { atol: 1e-4, rtol: 1e-4 });
    assertClose(fusedGrads[1]!, composedGrads[1]!, { atol: 1e-4, rtol: 1e-4 });
  });

  it('gradcheck and gradgradcheck in float64 (the composed form)', () => {
    const b = ramp([3]);
    checkGrad((x, w, bb) => linearActivation(x, w, bb, 'relu'), [ramp([4, 2]), ramp([3, 2], -0.7, 0.9), b]);
    checkGradGrad((x, w, bb) => linearActivation(x, w, bb, 'relu'), [ramp([2, 2]), ramp([3, 2]), ramp([3])]);
  });
});
