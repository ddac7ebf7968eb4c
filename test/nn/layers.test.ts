import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  Generator,
  manualSeed,
  nn,
  noGrad,
  ones,
  tensor,
  IndexError,
  ShapeError,
  DTypeError,
} from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend, ramp } from '../helpers.js';
import { TOL, loadFixture, t64 } from './layers-fixture.js';

const fx = loadFixture('layers');

/** sum(out ⊙ g) backward, as the fixtures' gradients are taken. */
function backwardWith(out: Tensor, g: Tensor): void {
  out.mul(g).sum().backward();
}

function setParams(m: nn.Module, values: Record<string, unknown>): void {
  noGrad(() => {
    for (const [name, p] of m.namedParameters()) if (name in values) p.copy_(t64(values[name] as never));
  });
}

forEachBackend('nn layers vs PyTorch', () => {
  it('Linear: output and gradients of input, weight and bias', () => {
    const f = fx.linear;
    const lin = new nn.Linear(3, 4, { dtype: 'float64' });
    lin.loadStateDict({ weight: t64(f.weight), bias: t64(f.bias) });
    const x = t64(f.x, true);
    const out = lin.forward(x);
    assertClose(out, f.out, TOL);
    backwardWith(out, t64(f.g));
    assertClose(x.grad!, f.gradX, TOL);
    assertClose(lin.weight.grad!, f.gradWeight, TOL);
    assertClose(lin.bias!.grad!, f.gradBias, TOL);
  });

  it('Linear: 3-D input (batch dims broadcast over the weight)', () => {
    const lin = new nn.Linear(3, 4, { dtype: 'float64' });
    setParams(lin, { weight: fx.linear.weight, bias: fx.linear.bias });
    const f = fx.linear3d;
    const x = t64(f.x, true);
    const out = lin.forward(x);
    assertClose(out, f.out, TOL);
    backwardWith(out, t64(f.g));
    assertClose(x.grad!, f.gradX, TOL);
    assertClose(lin.weight.grad!, f.gradWeight, TOL);
  });

  it('Linear: default init within ±1/√in, no bias when asked, clear shape errors', () => {
    manualSeed(3);
    const lin = new nn.Linear(16, 400);
    const bound = 1 / Math.sqrt(16);
    const w = Array.from(lin.weight.dataSync());
    assert.ok(w.every((v) => Math.abs(v) <= bound));
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    assert.ok(Math.abs(std - bound / Math.sqrt(3)) < 0.01, `std ${std}`);
    assert.ok(Array.from(lin.bias!.dataSync()).every((v) => Math.abs(v) <= bound));
    assert.equal(lin.weight.dtype, 'float32');
    assert.equal(new nn.Linear(2, 3, { bias: false }).bias, null);
    assertThrowsMatch(() => lin.forward(ones([2, 5])), ShapeError, /^linear: /, /\[2,5\]/, /\[400,16\]/);
    assertThrowsMatch(
      () => lin.forward(ones([2, 16], { dtype: 'float64' })),
      DTypeError,
      /^linear: .*float64.*float32/,
    );
    // The same generator seed gives the same weights.
    const a = new nn.Linear(3, 2, { generator: new Generator(9) });
    const b = new nn.Linear(3, 2, { generator: new Generator(9) });
    assertClose(a.weight, b.weight);
  });

  it('BatchNorm1d [N, C]: training output, gradients, running stats after 3 steps, eval output', () => {
    const f = fx.batchnorm;
    const bn = new nn.BatchNorm1d(4, { dtype: 'float64' });
    setParams(bn, { weight: f.weight, bias: f.bias });
    const x0 = t64(f.xs[0], true);
    const out0 = bn.forward(x0);
    assertClose(out0, f.out0, TOL);
    backwardWith(out0, t64(f.g));
    assertClose(x0.grad!, f.gradX, TOL);
    assertClose(bn.weight!.grad!, f.gradWeight, TOL);
    assertClose(bn.bias!.grad!, f.gradBias, TOL);
    bn.forward(t64(f.xs[1]));
    bn.forward(t64(f.xs[2]));
    assertClose(bn.runningMean!, f.runningMean, TOL);
    assertClose(bn.runningVar!, f.runningVar, TOL);
    assert.equal(bn.numBatchesTracked!.dtype, 'int32');
    assert.equal(bn.numBatchesTracked!.item(), f.numBatchesTracked);
    bn.eval();
    assertClose(bn.forward(t64(f.xEval)), f.outEval, TOL);
    // Eval neither updates the statistics nor counts the batch.
    assertClose(bn.runningMean!, f.runningMean, TOL);
    assert.equal(bn.numBatchesTracked!.item(), 3);
  });

  it('BatchNorm1d [N, C, L]: momentum and eps options', () => {
    const f = fx.batchnorm3d;
    const bn = new nn.BatchNorm1d(3, { momentum: 0.3, eps: 1e-3, dtype: 'float64' });
    setParams(bn, { weight: f.weight, bias: f.bias });
    const x = t64(f.x, true);
    const out = bn.forward(x);
    assertClose(out, f.out, TOL);
    backwardWith(out, t64(f.g));
    assertClose(x.grad!, f.gradX, TOL);
    assertClose(bn.weight!.grad!, f.gradWeight, TOL);
    assertClose(bn.bias!.grad!, f.gradBias, TOL);
    assertClose(bn.runningMean!, f.runningMean, TOL);
    assertClose(bn.runningVar!, f.runningVar, TOL);
    bn.eval();
    assertClose(bn.forward(t64(f.xEval)), f.outEval, TOL);
  });

  it('BatchNorm1d: cumulative average (momentum null); no running stats normalizes with the batch in eval', () => {
    const f = fx.batchnormCumulative;
    const bn = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    for (const x of f.xs) bn.forward(t64(x));
    assertClose(bn.runningMean!, f.runningMean, TOL);
    assertClose(bn.runningVar!, f.runningVar, TOL);
    const plain = new nn.BatchNorm1d(2, { affine: false, trackRunningStats: false, dtype: 'float64' }).eval();
    assert.equal(plain.weight, null);
    assert.equal(plain.runningMean, null);
    assert.deepEqual(Object.keys(plain.stateDict()), []);
    assertClose(plain.forward(t64(fx.batchnormNoStats.x)), fx.batchnormNoStats.out, TOL);
  });

  it('BatchNorm1d: bad input', () => {
    const bn = new nn.BatchNorm1d(4);
    assertThrowsMatch(
      () => bn.forward(ones([2, 3])),
      ShapeError,
      /^BatchNorm1d: expected 4 channels/,
      /\[2,3\]/,
    );
    assertThrowsMatch(
      () => bn.forward(ones([2, 4, 3, 3])),
      ShapeError,
      /^BatchNorm1d: expected a 2-D or 3-D/,
    );
    assertThrowsMatch(() => bn.forward(ones([1, 4])), ShapeError, /more than 1 value per channel/, /\[1,4\]/);
  });

  it('LayerNorm: over [3, 4] with affine, and over 5 without', () => {
    const f = fx.layernorm;
    const ln = new nn.LayerNorm([3, 4], { dtype: 'float64' });
    setParams(ln, { weight: f.weight, bias: f.bias });
    const x = t64(f.x, true);
    const out = ln.forward(x);
    assertClose(out, f.out, TOL);
    backwardWith(out, t64(f.g));
    assertClose(x.grad!, f.gradX, TOL);
    assertClose(ln.weight!.grad!, f.gradWeight, TOL);
    assertClose(ln.bias!.grad!, f.gradBias, TOL);

    const p = fx.layernormPlain;
    const ln2 = new nn.LayerNorm(5, { eps: 1e-2, elementwiseAffine: false });
    assert.equal(ln2.parameters().length, 0);
    const x2 = t64(p.x, true);
    const out2 = ln2.forward(x2);
    assertClose(out2, p.out, TOL);
    backwardWith(out2, t64(p.g));
    assertClose(x2.grad!, p.gradX, TOL);
    assertThrowsMatch(() => ln.forward(ones([2, 4, 3])), ShapeError, /^layerNorm: .*\[3,4\].*\[2,4,3\]/);
  });

  it('Embedding: lookup, and no gradient for the padding row', () => {
    const f = fx.embedding;
    const emb = new nn.Embedding(6, 3, { paddingIdx: f.paddingIdx, dtype: 'float64' });
    setParams(emb, { weight: f.weight });
    const idx = tensor(f.idx, { dtype: 'int32' });
    const out = emb.forward(idx);
    assert.deepEqual(out.shape, [2, 3, 3]);
    assertClose(out, f.out, TOL);
    backwardWith(out, t64(f.g));
    assertClose(emb.weight.grad!, f.gradWeight, TOL);
    assertClose(emb.weight.grad!.select(0, 2), [0, 0, 0]);
  });

  it('Embedding: N(0, 1) init with a zero padding row, errors', () => {
    manualSeed(1);
    const emb = new nn.Embedding(200, 50, { paddingIdx: -1 });
    assert.equal(emb.paddingIdx, 199);
    assertClose(emb.weight.select(0, 199), new Array(50).fill(0));
    const w = Array.from(emb.weight.narrow(0, 0, 199).dataSync());
    const m = w.reduce((s, v) => s + v, 0) / w.length;
    const sd = Math.sqrt(w.reduce((s, v) => s + (v - m) ** 2, 0) / w.length);
    assert.ok(Math.abs(m) < 0.03 && Math.abs(sd - 1) < 0.03, `mean ${m}, std ${sd}`);
    assertThrowsMatch(() => emb.forward(tensor([1.5])), DTypeError, /^embedding: indices must be an int32/);
    assertThrowsMatch(() => emb.forward(tensor([200], { dtype: 'int32' })), IndexError, /^embedding: .*200/);
    assertThrowsMatch(
      () => new nn.Embedding(5, 2, { paddingIdx: 5 }),
      IndexError,
      /^Embedding: paddingIdx 5/,
    );
    const pre = nn.Embedding.fromPretrained(
      t64([
        [1, 2],
        [3, 4],
      ]),
    );
    assert.equal(pre.weight.requiresGrad, false);
    assertClose(pre.forward(tensor([1, 0], { dtype: 'int32' })), [
      [3, 4],
      [1, 2],
    ]);
  });

  it('activation modules match PyTorch, outputs and gradients', () => {
    const { x: xv, g: gv } = fx.activationInput;
    const mods: Record<string, nn.Module> = {
      ReLU: new nn.ReLU(),
      LeakyReLU: new nn.LeakyReLU(0.2),
      ELU: new nn.ELU(0.7),
      GELU: new nn.GELU(),
      GELUtanh: new nn.GELU({ approximate: 'tanh' }),
      SiLU: new nn.SiLU(),
      Sigmoid: new nn.Sigmoid(),
      Tanh: new nn.Tanh(),
      Softplus: new nn.Softplus(2, 3),
      LogSigmoid: new nn.LogSigmoid(),
      Softmax: new nn.Softmax(1),
      LogSoftmax: new nn.LogSoftmax(0),
    };
    for (const [name, m] of Object.entries(mods)) {
      const x = t64(xv, true);
      const out = m.forward(x) as Tensor;
      assertClose(out, fx.activations[name].out, TOL);
      backwardWith(out, t64(gv));
      assertClose(x.grad!, fx.activations[name].gradX, TOL);
    }
    assert.equal(String(new nn.GELU('tanh')), "GELU(approximate='tanh')");
    assertThrowsMatch(() => new nn.GELU('fast' as never), IndexError, /^GELU: approximate must be/);
  });

  it('Dropout: zero fraction ≈ p, mean preserved, inverted scaling, identity in eval', () => {
    manualSeed(11);
    const drop = new nn.Dropout(0.3);
    const x = ones([200000], { dtype: 'float64' });
    const v = Array.from(drop.forward(x).dataSync());
    const zeros = v.filter((a) => a === 0).length / v.length;
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    assert.ok(Math.abs(zeros - 0.3) < 0.005, `zero fraction ${zeros}`);
    assert.ok(Math.abs(mean - 1) < 0.01, `mean ${mean}`);
    assert.ok(v.every((a) => a === 0 || Math.abs(a - 1 / 0.7) < 1e-12));
    drop.eval();
    assert.equal(drop.forward(x), x);
    assert.equal(String(drop), 'Dropout(p=0.3)');
  });

  it('Dropout: the gradient is the same mask; seeded by a generator; p = 0 and p = 1', () => {
    const x = ramp([4, 50], 0.5, 1.5);
    const d = new nn.Dropout(0.5, { generator: new Generator(4) });
    const out = d.forward(x);
    out.sum().backward();
    // d out / d x = mask / (1 − p) = out / x.
    assertClose(x.grad!, out.div(x).detach(), { atol: 1e-12 });
    const again = new nn.Dropout(0.5, { generator: new Generator(4) }).forward(x);
    assertClose(again, out);
    assertClose(new nn.Dropout(0).forward(x), x);
    assertClose(new nn.Dropout(1).forward(x), new Array(4).fill(new Array(50).fill(0)));
    assertThrowsMatch(() => new nn.Dropout(1.5), IndexError, /^Dropout: dropout probability .* 1\.5/);
  });

  it('Identity, Flatten, Unflatten', () => {
    const x = ramp([2, 3, 4], -1, 1, false);
    assert.equal(new nn.Identity().forward(x), x);
    assert.deepEqual(new nn.Flatten().forward(x).shape, [2, 12]);
    assert.deepEqual(new nn.Flatten(0, 1).forward(x).shape, [6, 4]);
    assert.equal(String(new nn.Flatten()), 'Flatten(start_dim=1, end_dim=-1)');
    const u = new nn.Unflatten(1, [2, -1]).forward(new nn.Flatten().forward(x));
    assert.deepEqual(u.shape, [2, 2, 6]);
    assertClose(u.reshape([2, 3, 4]), x);
    assertThrowsMatch(() => new nn.Unflatten(1, [5, 2]).forward(x), ShapeError, /^Unflatten: .*\[2,3,4\]/);
  });
});
