import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { Generator, autograd, getBackend, nn, randn, relu, setBackend, tensor } from '../../src/index.js';
import { convNd } from '../../src/ops/conv.js';
import { assertClose, checkGrad, checkGradGrad, forEachBackend, ramp } from '../helpers.js';

const F = nn.functional;

interface Case {
  x: number[];
  w: number[];
  bias: boolean;
  act: 'none' | 'relu';
  stride?: number;
  padding?: number;
  groups?: number;
}

/** The convolution with its bias and ReLU in one op (conv1d for 3-D inputs). */
function fused(c: Case, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const op = c.w.length === 3 ? 'conv1d' : 'conv2d';
  return convNd(op, x, w, b, c.stride ?? 1, c.padding ?? 0, 1, c.groups ?? 1, 'zeros', c.act);
}

/** The same by separate ops on the reference backend, with the gradients of Σ y·cot. */
function reference(c: Case, xv: Tensor, wv: Tensor, bv: Tensor | null, cot: Tensor) {
  const previous = getBackend().name;
  setBackend('js');
  try {
    const copy = (t: Tensor | null) => t && tensor(Array.from(t.dataSync()), { shape: [...t.shape] });
    const [x, w, b] = [xv, wv, bv].map(copy);
    for (const t of [x, w, b]) t?.requiresGrad_();
    const conv = c.w.length === 3 ? F.conv1d : F.conv2d;
    let y = conv(x!, w!, b, c.stride ?? 1, c.padding ?? 0, 1, c.groups ?? 1);
    if (c.act === 'relu') y = relu(y);
    y.mul(copy(cot)!).sum().backward();
    return { y, gx: x!.grad!, gw: w!.grad!, gb: b?.grad ?? null };
  } finally {
    setBackend(previous);
  }
}

forEachBackend('convolution with its bias and ReLU as one op', (backend) => {
  const kernels = backend === 'wasm' || backend === 'webgpu';

  it('matches the convolution, the bias and ReLU as separate ops, forward and backward', () => {
    const gen = new Generator(9);
    const cases: Case[] = [
      { x: [2, 3, 7, 6], w: [4, 3, 3, 3], bias: true, act: 'relu', padding: 1 },
      { x: [2, 3, 7, 6], w: [4, 3, 3, 3], bias: false, act: 'relu', padding: 1 },
      { x: [2, 3, 7, 6], w: [4, 3, 3, 3], bias: true, act: 'none', padding: 1 },
      { x: [3, 4, 9, 9], w: [6, 2, 3, 3], bias: true, act: 'relu', stride: 2, groups: 2 },
      { x: [2, 1, 28, 28], w: [5, 1, 3, 3], bias: true, act: 'relu', padding: 1 },
      { x: [2, 3, 11], w: [4, 3, 3], bias: true, act: 'relu', padding: 1 },
      { x: [3, 5, 5], w: [2, 3, 3, 3], bias: true, act: 'relu' },
    ];
    for (const c of cases) {
      const x = randn(c.x, { generator: gen }).requiresGrad_();
      const w = randn(c.w, { generator: gen }).requiresGrad_();
      const b = c.bias ? randn([c.w[0]], { generator: gen }).requiresGrad_() : null;
      const y = fused(c, x, w, b);
      const cot = randn([...y.shape], { generator: gen });
      y.mul(cot).sum().backward();
      const ref = reference(c, x, w, b, cot);
      const tag = JSON.stringify(c);
      assert.deepEqual(y.shape, ref.y.shape, tag);
      assertClose(y, ref.y, { atol: 1e-5, rtol: 1e-5 });
      assertClose(x.grad!, ref.gx, { atol: 1e-4, rtol: 1e-5 });
      assertClose(w.grad!, ref.gw, { atol: 1e-4, rtol: 1e-5 });
      if (b) assertClose(b.grad!, ref.gb!, { atol: 1e-4, rtol: 1e-5 });
      if (kernels && c.x.length === 4) {
        assert.equal(y.gradFn?.name, 'conv2d', `${tag}: one recorded op`);
      }
    }
  });

  it('keeps NaN through ReLU, and no input channels give relu(bias)', () => {
    const y = convNd(
      'conv2d',
      tensor([[[[NaN, 1]]]]),
      tensor([[[[1]]]]),
      tensor([0.5]),
      1,
      0,
      1,
      1,
      'zeros',
      'relu',
    );
    assert.ok(Number.isNaN(y.dataSync()[0]));
    assertClose(y.reshape([2]).narrow(0, 1, 1), [1.5]);
    const empty = convNd(
      'conv2d',
      tensor([], { shape: [2, 0, 3, 3] }),
      tensor([], { shape: [3, 0, 2, 2] }),
      tensor([1, -2, 3]),
      1,
      0,
      1,
      1,
      'zeros',
      'relu',
    );
    assert.deepEqual(empty.shape, [2, 3, 2, 2]);
    assertClose(empty.sum([2, 3]), [
      [4, 0, 12],
      [4, 0, 12],
    ]);
  });

  it('Sequential runs Conv2d → ReLU as one op, with the same numbers as the layers one by one', () => {
    const gen = new Generator(4);
    const model = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1, generator: gen }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
    );
    const x = randn([3, 2, 6, 6], { generator: gen });
    const y = model.forward(x);
    let step = x;
    for (const m of model) step = m.forward(step);
    assertClose(y, step, { atol: 1e-6 });
    const weight = model.at(0).parameters()[0];
    const [g1] = autograd.grad(y.sum(), [weight]);
    const [g2] = autograd.grad(step.sum(), [weight]);
    assertClose(g1!, g2!, { atol: 1e-5 });
    if (kernels) {
      // The pair is one recorded op: the first op after the input is the convolution itself.
      const pooled = model.slice(0, 2).forward(x);
      assert.equal(pooled.gradFn?.name, 'conv2d');
    }
  });

  it('gradients of gradients through the fused op agree with the separate ops', () => {
    const gen = new Generator(5);
    const xv = randn([2, 2, 5, 5], { generator: gen });
    const wv = randn([3, 2, 3, 3], { generator: gen });
    const bv = randn([3], { generator: gen });
    const secondOrder = (x: Tensor, w: Tensor, b: Tensor, y: Tensor) => {
      const [gx] = autograd.grad(y.pow(2).sum(), [x], { createGraph: true });
      assert.ok(gx);
      return autograd.grad(gx.pow(2).sum(), [w, b], { allowUnused: true });
    };
    const leaves = () => [xv, wv, bv].map((t) => t.clone().requiresGrad_());
    const [x1, w1, b1] = leaves();
    const c: Case = { x: [2, 2, 5, 5], w: [3, 2, 3, 3], bias: true, act: 'relu', padding: 1 };
    const fusedGrads = secondOrder(x1, w1, b1, fused(c, x1, w1, b1));
    const [x2, w2, b2] = leaves();
    const separateGrads = secondOrder(x2, w2, b2, relu(F.conv2d(x2, w2, b2, 1, 1)));
    assertClose(fusedGrads[0]!, separateGrads[0]!, { atol: 1e-3, rtol: 1e-4 });
    assertClose(fusedGrads[1]!, separateGrads[1]!, { atol: 1e-3, rtol: 1e-4 });
  });

  it('gradcheck and gradgradcheck in float64', () => {
    const c: Case = { x: [1, 2, 4, 4], w: [3, 2, 3, 3], bias: true, act: 'relu', padding: 1 };
    checkGrad((x, w, b) => fused(c, x, w, b), [ramp([1, 2, 4, 4]), ramp([3, 2, 3, 3], -0.7, 0.9), ramp([3])]);
    checkGradGrad((x, w, b) => fused(c, x, w, b), [ramp([1, 2, 3, 3]), ramp([3, 2, 3, 3]), ramp([3])]);
  });
});
