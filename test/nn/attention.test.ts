import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  DTypeError,
  Generator,
  IndexError,
  ShapeError,
  nn,
  noGrad,
  ones,
  randn,
  tensor,
} from '../../src/index.js';
import { scaledDotProductAttention as sdpa } from '../../src/nn/functional/attention.js';
import { MultiheadAttention } from '../../src/nn/layers/attention.js';
import {
  TransformerEncoder,
  TransformerEncoderLayer,
  generateSquareSubsequentMask,
} from '../../src/nn/layers/transformer.js';
import { assertClose, assertThrowsMatch, checkGrad, forEachBackend, ramp } from '../helpers.js';
import { TOL, loadFixture, t64 } from './layers-fixture.js';

const fx = loadFixture('attention');

const bool = (v: unknown) => tensor(v as never, { dtype: 'bool' });
const loadState = (m: nn.Module, state: Record<string, unknown>) =>
  m.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, v]) => [k, t64(v as never)])));

/** Checks the parameter gradients (by PyTorch name, in PyTorch's order). */
function checkParamGrads(m: nn.Module, grads: Record<string, unknown>): void {
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    Object.keys(grads),
  );
  for (const [n, p] of m.namedParameters()) assertClose(p.grad!, grads[n] as never, TOL);
}

/** A function of (inputs…, parameters…) for gradcheck: the parameters are swapped in for the call. */
function withParams(m: nn.Module, nInputs: number, run: (...xs: Tensor[]) => Tensor | Tensor[]) {
  const named = m.namedParameters().map(([n]) => n.split('.'));
  const owner = (path: string[]) =>
    path.slice(0, -1).reduce((o, k) => o[k] as never, m as unknown as Record<string, unknown>);
  const fn = (...args: Tensor[]) => {
    const saved = named.map((p) => owner(p)[p[p.length - 1]]);
    named.forEach((p, i) => (owner(p)[p[p.length - 1]] = args[nInputs + i]));
    try {
      return run(...args.slice(0, nInputs));
    } finally {
      named.forEach((p, i) => (owner(p)[p[p.length - 1]] = saved[i]));
    }
  };
  return { fn, params: m.parameters() as Tensor[] };
}

forEachBackend('scaledDotProductAttention', () => {
  const cases: [string, (q: Tensor, k: Tensor, v: Tensor, f: any) => Tensor][] = [
    ['sdpaPlain', (q, k, v) => sdpa(q, k, v)],
    ['sdpaScale', (q, k, v) => sdpa(q, k, v, null, 0, false, { scale: 0.3 })],
    ['sdpaCausal', (q, k, v) => sdpa(q, k, v, null, 0, true)],
    ['sdpaBoolMask', (q, k, v, f) => sdpa(q, k, v, bool(f.mask))],
    ['sdpaFloatMask', (q, k, v, f) => sdpa(q, k, v, t64(f.mask))],
    ['sdpa3d', (q, k, v) => sdpa(q, k, v, null, 0, true)],
  ];
  for (const [name, run] of cases) {
    it(`${name}: output and gradients of q, k, v match the PyTorch formula`, () => {
      const f = fx[name];
      const [q, k, v] = [f.q, f.k, f.v].map((a) => t64(a, true));
      const out = run(q, k, v, f);
      assertClose(out, f.out, TOL);
      out.mul(t64(f.g)).sum().backward();
      assertClose(q.grad!, f.gradQ, TOL);
      assertClose(k.grad!, f.gradK, TOL);
      assertClose(v.grad!, f.gradV, TOL);
    });
  }

  it('gradcheck in float64: plain, causal, float mask, broadcast batch dims', () => {
    const q = ramp([2, 3, 4]);
    const k = ramp([2, 5, 4], -0.8, 0.9);
    const v = ramp([1, 5, 3], -1, 0.5);
    checkGrad((a, b, c) => sdpa(a, b, c), [q, k, v]);
    checkGrad((a, b, c) => sdpa(a, b, c, null, 0, true), [q, k, v]);
    const m = ramp([3, 5], -1, 1, true);
    checkGrad((a, b, c, d) => sdpa(a, b, c, d), [q, k, v, m]);
  });

  it('bool mask keeps true positions; a fully masked row gives NaN like PyTorch', () => {
    const q = ones([1, 2, 2], { dtype: 'float64' });
    const k = t64([
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
    ]);
    const v = t64([[[1], [2], [3]]]);
    const out = sdpa(
      q,
      k,
      v,
      bool([
        [false, true, false],
        [false, false, false],
      ]),
    );
    assertClose(out.select(1, 0), [[2]]);
    assert.ok(Number.isNaN(out.select(1, 1).item() as number));
  });

  it('dropout: seeded, and only when training', () => {
    const q = randn([2, 8, 4], { dtype: 'float64', generator: new Generator(1) });
    const a = sdpa(q, q, q, null, 0.5, false, { generator: new Generator(3) });
    const b = sdpa(q, q, q, null, 0.5, false, { generator: new Generator(3) });
    assertClose(a, b);
    assert.ok(
      (a
        .sub(sdpa(q, q, q))
        .abs()
        .sum()
        .item() as number) > 1e-3,
    );
    assertClose(sdpa(q, q, q, null, 0.5, false, { training: false }), sdpa(q, q, q));
  });

  it('clear errors', () => {
    const q = ones([2, 3, 4]);
    assertThrowsMatch(
      () => sdpa(q, ones([2, 5, 3]), ones([2, 5, 2])),
      ShapeError,
      /^scaledDotProductAttention: /,
      /\[2,5,3\]/,
    );
    assertThrowsMatch(() => sdpa(q, q, ones([2, 2, 4])), ShapeError, /same S/);
    assertThrowsMatch(() => sdpa(q, q, q, ones([3, 3], { dtype: 'bool' }), 0, true), IndexError, /isCausal/);
    assertThrowsMatch(() => sdpa(q, q, q, ones([3, 4], { dtype: 'bool' })), ShapeError, /attnMask.*\[3,4\]/);
    assertThrowsMatch(() => sdpa(q, q.to('float64'), q), DTypeError, /same dtype/);
    assertThrowsMatch(() => sdpa(q, q, q, null, 1.5), IndexError, /dropoutP/);
  });
});

forEachBackend('MultiheadAttention', () => {
  function runCase(mha: MultiheadAttention, f: any, opts: object) {
    loadState(mha, f.state);
    const [q, k, v] = [f.query, f.key, f.value].map((a: unknown) => t64(a as never, true));
    const [out, w] = mha.forward(q, k, v, opts);
    assertClose(out, f.out, TOL);
    let loss = out.mul(t64(f.g)).sum();
    if (f.weights === null) assert.equal(w, null);
    else {
      assertClose(w!, f.weights, TOL);
      loss = loss.add(w!.mul(t64(f.gw)).sum());
    }
    loss.backward();
    assertClose(q.grad!, f.gradQuery, TOL);
    assertClose(k.grad!, f.gradKey, TOL);
    assertClose(v.grad!, f.gradValue, TOL);
    checkParamGrads(mha, f.gradParams);
  }

  it('self-attention with a causal mask and a key padding mask matches PyTorch (weights averaged)', () => {
    const f = fx.mhaSelfCausalPadding;
    const mha = new MultiheadAttention(8, 2, { dtype: 'float64' });
    runCase(mha, f, {
      attnMask: generateSquareSubsequentMask(4, { dtype: 'float64' }),
      keyPaddingMask: bool(f.keyPaddingMask),
    });
    // isCausal alone builds the same mask.
    const q = t64(f.query);
    const a = mha.forward(q, q, q, { isCausal: true, keyPaddingMask: bool(f.keyPaddingMask) });
    assertClose(a[0], f.out, TOL);
  });

  it('cross-attention, batchFirst, kdim/vdim (separate projections), 3-D bool mask, per-head weights', () => {
    const f = fx.mhaCrossBatchFirst;
    const mha = new MultiheadAttention(8, 2, { kdim: 3, vdim: 6, batchFirst: true, dtype: 'float64' });
    runCase(mha, f, { attnMask: bool(f.attnMask), averageAttnWeights: false });
  });

  it('unbatched, without bias, needWeights false matches PyTorch', () => {
    const mha = new MultiheadAttention(8, 2, { bias: false, dtype: 'float64' });
    assert.equal(mha.in_proj_bias, null);
    runCase(mha, fx.mhaUnbatchedNoBias, { needWeights: false });
  });

  it('gradcheck in float64 for query, key, value and all parameters', () => {
    const mha = new MultiheadAttention(4, 2, { dtype: 'float64', generator: new Generator(2) });
    const { fn, params } = withParams(mha, 3, (q, k, v) => {
      const [o, w] = mha.forward(q, k, v, { keyPaddingMask: bool([[false, false, true]]) });
      return [o, w!];
    });
    checkGrad(fn, [ramp([2, 1, 4]), ramp([3, 1, 4], -0.5, 1), ramp([3, 1, 4], -1, 0.3), ...params]);
  });

  it('PyTorch init: Xavier-uniform in_proj_weight, zero biases, Linear-initialized out_proj.weight', () => {
    const mha = new MultiheadAttention(16, 4, { generator: new Generator(4) });
    assert.deepEqual(
      mha.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`),
      ['in_proj_weight:48x16', 'in_proj_bias:48', 'out_proj.weight:16x16', 'out_proj.bias:16'],
    );
    const w = Array.from(mha.in_proj_weight!.dataSync());
    const bound = Math.sqrt(6 / (16 + 48));
    assert.ok(w.every((x) => Math.abs(x) <= bound) && Math.max(...w) > 0.8 * bound);
    assert.ok(Array.from(mha.in_proj_bias!.dataSync()).every((x) => x === 0));
    assert.ok(Array.from(mha.out_proj.bias!.dataSync()).every((x) => x === 0));
    const ow = Array.from(mha.out_proj.weight.dataSync());
    assert.ok(ow.every((x) => Math.abs(x) <= 0.25) && Math.max(...ow) > 0.2);
    const sep = new MultiheadAttention(8, 2, { kdim: 3 });
    assert.deepEqual(
      sep.namedParameters().map(([n]) => n),
      ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'],
    );
  });

  it('attention dropout: seeded in training, off in eval', () => {
    const mha = new MultiheadAttention(8, 2, { dropout: 0.5, dtype: 'float64', generator: new Generator(5) });
    const x = randn([3, 2, 8], { dtype: 'float64', generator: new Generator(6) });
    const [a] = mha.forward(x, x, x);
    const [b] = mha.forward(x, x, x);
    assert.ok((a.sub(b).abs().sum().item() as number) > 1e-6);
    mha.eval();
    assertClose(mha.forward(x, x, x)[0], mha.forward(x, x, x)[0]);
  });

  it('clear errors', () => {
    assertThrowsMatch(() => new MultiheadAttention(10, 3), IndexError, /^MultiheadAttention: .*divisible/);
    const mha = new MultiheadAttention(8, 2);
    const x = ones([4, 2, 8]);
    assertThrowsMatch(
      () => mha.forward(ones([4, 2, 6]), x, x),
      ShapeError,
      /^MultiheadAttention: .*query.*\[4,2,6\]/,
    );
    assertThrowsMatch(() => mha.forward(x, ones([5, 2, 8]), x), ShapeError, /sequence length/);
    assertThrowsMatch(
      () => mha.forward(x, x, x, { keyPaddingMask: ones([2, 5], { dtype: 'bool' }) }),
      ShapeError,
      /keyPaddingMask.*\[2,5\].*\[2,4\]/,
    );
    assertThrowsMatch(
      () => mha.forward(x, x, x, { attnMask: ones([4, 5]) }),
      ShapeError,
      /attnMask.*\[4,5\].*\[4,4\] or \[4,4,4\]/,
    );
    assertThrowsMatch(() => mha.forward(ones([8]), x, x), ShapeError, /2-D \(unbatched\) or 3-D/);
  });
});

forEachBackend('TransformerEncoderLayer and TransformerEncoder', () => {
  function runCase(m: nn.Module, f: any, run: (src: Tensor) => Tensor) {
    loadState(m, f.state);
    const src = t64(f.src, true);
    const out = run(src);
    assertClose(out, f.out, TOL);
    out.mul(t64(f.g)).sum().backward();
    assertClose(src.grad!, f.gradSrc, TOL);
    checkParamGrads(m, f.gradParams);
  }
  const causal = generateSquareSubsequentMask(4, { dtype: 'float64' });

  it('post-norm layer (relu) with srcMask and srcKeyPaddingMask matches PyTorch', () => {
    const f = fx.encoderPostNorm;
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, dtype: 'float64' });
    runCase(layer, f, (src) =>
      layer.forward(src, { srcMask: causal, srcKeyPaddingMask: bool(f.srcKeyPaddingMask) }),
    );
  });

  it('pre-norm layer (gelu, batchFirst, layerNormEps) matches PyTorch; isCausal gives the same', () => {
    const f = fx.encoderPreNormGelu;
    const layer = new TransformerEncoderLayer(8, 2, {
      dimFeedforward: 16,
      dropout: 0,
      activation: 'gelu',
      normFirst: true,
      batchFirst: true,
      layerNormEps: 1e-6,
      dtype: 'float64',
    });
    runCase(layer, f, (src) => layer.forward(src, { srcMask: causal }));
    assertClose(layer.forward(t64(f.src), { isCausal: true }), f.out, TOL);
  });

  it('a 2-layer encoder with a final norm matches PyTorch (layers.0…, norm)', () => {
    const f = fx.encoderStack;
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, dtype: 'float64' });
    const enc = new TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8, { dtype: 'float64' }) });
    runCase(enc, f, (src) =>
      enc.forward(src, { mask: causal, srcKeyPaddingMask: bool(f.srcKeyPaddingMask) }),
    );
  });

  it('encoder layers are independent copies of the given layer', () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, generator: new Generator(1) });
    const enc = new TransformerEncoder(layer, 3);
    const w = (i: number) => enc.layers.at(i).linear1.weight;
    assertClose(w(0), layer.linear1.weight);
    assertClose(w(2), layer.linear1.weight);
    assert.notEqual(w(0), w(1));
    assert.equal(enc.parameters().length, 3 * layer.parameters().length);
    noGrad(() => w(1).fill_(1));
    assertClose(w(0), layer.linear1.weight);
    assert.equal(enc.layers.at(1).normFirst, false);
  });

  it('gradcheck in float64 for the source of a pre- and a post-norm layer', () => {
    for (const normFirst of [false, true]) {
      const layer = new TransformerEncoderLayer(4, 2, {
        dimFeedforward: 6,
        dropout: 0,
        normFirst,
        dtype: 'float64',
        generator: new Generator(3),
      });
      checkGrad((s) => layer.forward(s, { isCausal: true }), [ramp([3, 2, 4])]);
    }
  });

  it('dropout in training is seeded; eval is deterministic', () => {
    const make = () =>
      new TransformerEncoderLayer(8, 2, {
        dimFeedforward: 16,
        dtype: 'float64',
        generator: new Generator(9),
      });
    const x = randn([3, 2, 8], { dtype: 'float64', generator: new Generator(2) });
    assertClose(make().forward(x), make().forward(x));
    const layer = make();
    assert.ok((layer.forward(x).sub(layer.forward(x)).abs().sum().item() as number) > 1e-6);
    layer.eval();
    assertClose(layer.forward(x), layer.forward(x));
    assertThrowsMatch(
      () => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as never }),
      IndexError,
      /activation/,
    );
  });
});
