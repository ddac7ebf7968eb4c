import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, Generator, IndexError, ShapeError, nn, ones, tensor } from '../../src/index.js';
import { assertClose, assertThrowsMatch, checkGrad, forEachBackend, ramp } from '../helpers.js';
import { TOL32, TOL64, checkCase, fx } from '../ops/vision-fixture.js';

const F = nn.functional;
const t64 = (v: unknown, requiresGrad = false): Tensor =>
  tensor(v as never, { dtype: 'float64', requiresGrad });

/** The module's parameter names and shapes equal the PyTorch state dict's; then loads it. */
function loadTorchState(m: nn.Module, state: Record<string, unknown>): void {
  const ours = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, [...p.shape]]));
  const theirs = Object.fromEntries(Object.entries(state).map(([n, v]) => [n, [...t64(v).shape]]));
  assert.deepEqual(ours, theirs);
  m.loadStateDict(Object.fromEntries(Object.entries(state).map(([n, v]) => [n, t64(v)])));
}

/** Output and gradients of a module loaded from the fixture's state dict. */
function checkModule(m: nn.Module & { weight: Tensor; bias: Tensor | null }, c: any, tol = TOL64): void {
  loadTorchState(m, c.state);
  const dtype = m.weight.dtype;
  const x = tensor(c.x, { dtype, requiresGrad: true });
  const out = m.forward(x) as Tensor;
  assertClose(out, c.out, tol);
  out.mul(tensor(c.r, { dtype })).sum().backward();
  assertClose(x.grad!, c.gradX, tol);
  assertClose(m.weight.grad!, c.gradWeightParam, tol);
  assertClose(m.bias!.grad!, c.gradBiasParam, tol);
}

forEachBackend('convolution layers vs PyTorch', () => {
  it('Conv2d (stride, padding, dilation, groups) loads a PyTorch state dict and matches it', () => {
    const opts = { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 };
    checkModule(new nn.Conv2d(4, 6, [3, 2], { ...opts, dtype: 'float64' }), fx.conv2dModule);
    checkModule(new nn.Conv2d(4, 6, [3, 2], opts), fx.conv2dModule, TOL32);
  });

  it('ConvTranspose2d (stride, padding, outputPadding, groups) loads a PyTorch state dict and matches it', () => {
    const opts = { stride: 2, padding: 1, outputPadding: 1, groups: 2 };
    checkModule(new nn.ConvTranspose2d(4, 2, 3, { ...opts, dtype: 'float64' }), fx.convTranspose2dModule);
    checkModule(new nn.ConvTranspose2d(4, 2, 3, opts), fx.convTranspose2dModule, TOL32);
  });

  it('Conv2d and Conv1d with paddingMode reflect, replicate and circular', () => {
    for (const c of fx.convPaddingModes) {
      const [out, cin, ...k] = t64(c.weight).shape;
      const m =
        c.dims === 2
          ? new nn.Conv2d(cin, out, k, { padding: c.padding, paddingMode: c.mode, dtype: 'float64' })
          : new nn.Conv1d(cin, out, k, { padding: c.padding, paddingMode: c.mode, dtype: 'float64' });
      m.loadStateDict({ weight: t64(c.weight), bias: t64(c.bias) });
      assertClose(m.forward(t64(c.x)), c.out, TOL64);
    }
  });

  it('Conv1d and ConvTranspose1d run their functional forms', () => {
    const c = fx.conv1d[2];
    const conv = new nn.Conv1d(4, 2, 2, { padding: 2, dilation: 2, groups: 2, dtype: 'float64' });
    conv.loadStateDict({ weight: t64(c.weight), bias: t64(c.bias) });
    assertClose(conv.forward(t64(c.x)), c.out, TOL64);
    const d = fx.convTranspose1d[0];
    const convT = new nn.ConvTranspose1d(2, 3, 3, {
      stride: 2,
      padding: 1,
      outputPadding: 1,
      dtype: 'float64',
    });
    convT.loadStateDict({ weight: t64(d.weight), bias: t64(d.bias) });
    assertClose(convT.forward(t64(d.x)), d.out, TOL64);
  });

  it('initializes like PyTorch: weight and bias within ±1/√fanIn (kaiming a=√5), seeded', () => {
    const cases: [nn.Module & { weight: Tensor; bias: Tensor | null }, number][] = [
      [new nn.Conv2d(4, 64, 3, { generator: new Generator(1) }), 4 * 9],
      [new nn.Conv2d(8, 64, [3, 2], { groups: 4, generator: new Generator(2) }), 2 * 6],
      [new nn.Conv1d(3, 100, 5, { generator: new Generator(3) }), 3 * 5],
      // PyTorch takes a transposed weight's fan-in from its dim 1: outChannels / groups.
      [new nn.ConvTranspose2d(16, 30, 4, { generator: new Generator(4) }), 30 * 16],
      [new nn.ConvTranspose2d(4, 60, 3, { groups: 2, generator: new Generator(5) }), 30 * 9],
    ];
    for (const [m, fanIn] of cases) {
      const bound = 1 / Math.sqrt(fanIn);
      for (const p of [m.weight, m.bias!]) {
        const v = Array.from(p.dataSync());
        assert.ok(
          v.every((a) => Math.abs(a) <= bound),
          `${String(m)}: values within ±${bound}`,
        );
        // Uniform over the whole range, not a narrower one.
        assert.ok(Math.max(...v.map(Math.abs)) > 0.8 * bound, `${String(m)}: spread ${Math.max(...v)}`);
      }
      assert.equal(m.weight.dtype, 'float32');
    }
    const a = new nn.Conv2d(2, 3, 3, { generator: new Generator(9) });
    const b = new nn.Conv2d(2, 3, 3, { generator: new Generator(9) });
    assertClose(a.weight, b.weight);
    assertClose(a.bias!, b.bias!);
    assert.equal(new nn.Conv2d(2, 3, 3, { bias: false }).bias, null);
    assert.deepEqual(Object.keys(new nn.ConvTranspose2d(2, 3, 3, { bias: false }).stateDict()), ['weight']);
  });

  it('takes unbatched [C, H, W] and [C, L] inputs', () => {
    const conv = new nn.Conv2d(2, 3, 3, { padding: 1, dtype: 'float64' });
    const x = ramp([2, 4, 5], -1, 1, false);
    const out = conv.forward(x);
    assert.deepEqual(out.shape, [3, 4, 5]);
    assertClose(out, conv.forward(x.unsqueeze(0)).squeeze(0));
    const conv1 = new nn.Conv1d(2, 3, 3, { dtype: 'float64' });
    assert.deepEqual(conv1.forward(ramp([2, 6], -1, 1, false)).shape, [3, 4]);
    const convT = new nn.ConvTranspose2d(2, 3, 2, { stride: 2, dtype: 'float64' });
    assert.deepEqual(convT.forward(x).shape, [3, 8, 10]);
  });

  it('gradients through the layers by finite differences', () => {
    const conv = new nn.Conv2d(2, 2, 2, {
      padding: 1,
      paddingMode: 'replicate',
      groups: 2,
      dtype: 'float64',
    });
    checkGrad((x) => conv.forward(x), [ramp([1, 2, 3, 3])]);
    const convT = new nn.ConvTranspose2d(2, 2, 3, {
      stride: 2,
      padding: 1,
      outputPadding: 1,
      dtype: 'float64',
    });
    checkGrad((x) => convT.forward(x), [ramp([1, 2, 2, 2])]);
  });

  it('prints like PyTorch', () => {
    const r = fx.repr;
    assert.equal(String(new nn.Conv2d(3, 16, 3)), r.conv2d);
    assert.equal(
      String(
        new nn.Conv2d(4, 8, [3, 5], { stride: [2, 1], padding: [1, 2], dilation: 2, groups: 2, bias: false }),
      ),
      r.conv2dFull,
    );
    assert.equal(
      String(new nn.Conv2d(2, 2, 4, { padding: 'same', groups: 2, bias: false, paddingMode: 'reflect' })),
      r.conv2dSame,
    );
    assert.equal(String(new nn.Conv1d(2, 4, 3, { padding: 1, paddingMode: 'circular' })), r.conv1dCircular);
    assert.equal(String(new nn.ConvTranspose2d(16, 3, 4, { stride: 2, padding: 1 })), r.convTranspose2d);
    assert.equal(
      String(
        new nn.ConvTranspose2d(4, 2, 3, {
          stride: 2,
          padding: 1,
          outputPadding: 1,
          groups: 2,
          dilation: 2,
          bias: false,
        }),
      ),
      r.convTranspose2dFull,
    );
  });

  it('names the layer and the shapes on bad arguments and input', () => {
    assertThrowsMatch(
      () => new nn.Conv2d(3, 4, 3, { groups: 2 }),
      IndexError,
      /^Conv2d: inChannels \(3\) and outChannels \(4\) must be divisible by groups \(2\)/,
    );
    assertThrowsMatch(
      () => new nn.ConvTranspose2d(4, 3, 3, { groups: 2 }),
      IndexError,
      /^ConvTranspose2d: .*\(3\).*groups \(2\)/,
    );
    assertThrowsMatch(
      () => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 'same' }),
      IndexError,
      /^Conv2d: padding='same' .*strided/,
    );
    assertThrowsMatch(
      () => new nn.Conv2d(3, 4, 3, { paddingMode: 'mirror' as never }),
      IndexError,
      /^Conv2d: paddingMode .*'mirror'/,
    );
    assertThrowsMatch(
      () => new nn.Conv2d(0, 4, 3),
      IndexError,
      /^Conv2d: inChannels must be a positive integer, got 0/,
    );
    assertThrowsMatch(() => new nn.Conv1d(2, 4, [3, 3]), IndexError, /^Conv1d: kernelSize .*\[3,3\]/);
    const conv = new nn.Conv2d(3, 4, 3);
    assertThrowsMatch(
      () => conv.forward(ones([1, 2, 5, 5])),
      ShapeError,
      /^conv2d: input of shape \[1,2,5,5\] has 2 channels.*\[4,3,3,3\].*expects 3/,
    );
    assertThrowsMatch(
      () => conv.forward(ones([1, 3, 2, 2])),
      ShapeError,
      /^conv2d: the kernel \[3,3\].*larger than the padded input \[2,2\]/,
    );
    assertThrowsMatch(
      () => conv.forward(ones([3, 5])),
      ShapeError,
      /^conv2d: expected a 3-D or 4-D input.*\[3,5\]/,
    );
    assertThrowsMatch(
      () => conv.forward(ones([1, 3, 5, 5], { dtype: 'float64' })),
      DTypeError,
      /^conv2d: input dtype float64 and parameter dtype float32/,
    );
    const convT = new nn.ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 });
    assertThrowsMatch(
      () => convT.forward(ones([1, 2, 3, 3])),
      ShapeError,
      /^convTranspose2d: outputPadding 2 must be smaller than either stride 2/,
    );
  });
});

forEachBackend('pooling, normalization, dropout and upsampling layers', () => {
  it('BatchNorm2d: training output and gradients, running stats after 2 steps, eval output', () => {
    const f = fx.batchNorm2d;
    const bn = new nn.BatchNorm2d(3, { dtype: 'float64' });
    bn.loadStateDict({ ...bn.stateDict(), weight: t64(f.weight), bias: t64(f.bias) });
    const x0 = t64(f.x0, true);
    const out = bn.forward(x0);
    assertClose(out, f.out, TOL64);
    out.mul(t64(f.r)).sum().backward();
    assertClose(x0.grad!, f.gradX0, TOL64);
    assertClose(bn.weight!.grad!, f.gradWeightParam, TOL64);
    assertClose(bn.bias!.grad!, f.gradBiasParam, TOL64);
    bn.forward(t64(f.x1));
    assertClose(bn.runningMean!, f.runningMean, TOL64);
    assertClose(bn.runningVar!, f.runningVar, TOL64);
    assert.equal(bn.numBatchesTracked!.item(), f.numBatchesTracked);
    bn.eval();
    assertClose(bn.forward(t64(f.xEval)), f.outEval, TOL64);
    assert.equal(bn.numBatchesTracked!.item(), 2);
    const fresh = new nn.BatchNorm2d(2, { dtype: 'float64' });
    checkGrad((x) => fresh.forward(x).mul(ramp([2, 2, 2, 3], -1, 1, false)), [ramp([2, 2, 2, 3])]);
    assert.deepEqual(Object.keys(bn.stateDict()).sort(), [
      'bias',
      'num_batches_tracked',
      'running_mean',
      'running_var',
      'weight',
    ]);
    assertThrowsMatch(
      () => bn.forward(ones([3, 2, 2], { dtype: 'float64' })),
      ShapeError,
      /^BatchNorm2d: .*\[3,2,2\]/,
    );
    assertThrowsMatch(
      () => bn.forward(ones([2, 4, 2, 2], { dtype: 'float64' })),
      ShapeError,
      /^BatchNorm2d: expected 3 channels.*\[2,4,2,2\]/,
    );
  });

  it('pooling layers and Upsample run their functional forms', () => {
    const mp = fx.maxPool2d[1];
    const maxPool = new nn.MaxPool2d(mp.kernelSize, { stride: mp.stride, padding: mp.padding });
    assertClose(maxPool.forward(t64(mp.x)) as Tensor, mp.out, TOL64);
    const [values, indices] = new nn.MaxPool2d(mp.kernelSize, {
      stride: mp.stride,
      padding: mp.padding,
      returnIndices: true,
    }).forward(t64(mp.x)) as [Tensor, Tensor];
    assertClose(values, mp.out, TOL64);
    assert.deepEqual(Array.from(indices.dataSync()), (mp.indices as unknown[]).flat(4));
    const mp1 = fx.maxPool1d[1];
    const maxPool1 = new nn.MaxPool1d(mp1.kernelSize, {
      stride: mp1.stride,
      padding: mp1.padding,
      dilation: mp1.dilation,
      ceilMode: true,
    });
    assertClose(maxPool1.forward(t64(mp1.x)) as Tensor, mp1.out, TOL64);
    const ap = fx.avgPool2d[4];
    const avgPool = new nn.AvgPool2d(ap.kernelSize, {
      stride: ap.stride,
      padding: ap.padding,
      ceilMode: true,
      countIncludePad: false,
    });
    assertClose(avgPool.forward(t64(ap.x)), ap.out, TOL64);
    const ap1 = fx.avgPool1d[0];
    const avgPool1 = new nn.AvgPool1d(ap1.kernelSize, {
      stride: ap1.stride,
      padding: ap1.padding,
      ceilMode: true,
      countIncludePad: false,
    });
    assertClose(avgPool1.forward(t64(ap1.x)), ap1.out, TOL64);
    const ad = fx.adaptiveAvgPool2d[3];
    assertClose(new nn.AdaptiveAvgPool2d(ad.outputSize).forward(t64(ad.x)), ad.out, TOL64);
    for (const i of [2, 7]) {
      const c = fx.interpolate[i];
      const up = new nn.Upsample({
        size: c.size,
        scaleFactor: c.scaleFactor,
        mode: c.mode,
        alignCorners: c.alignCorners,
      });
      checkCase(c, ['x'], (x) => up.forward(x!));
    }
    // Unbatched [C, H, W] through the layers.
    const x = ramp([2, 5, 6], -1, 1, false);
    assertClose(new nn.MaxPool2d(2).forward(x) as Tensor, F.maxPool2d(x.unsqueeze(0), 2).squeeze(0), {
      shape: [2, 2, 3],
    });
    assert.deepEqual(new nn.AvgPool2d(3, { stride: 1 }).forward(x).shape, [2, 3, 4]);
    assert.deepEqual(new nn.AdaptiveAvgPool2d(1).forward(x).shape, [2, 1, 1]);
  });

  it('prints pooling and BatchNorm2d layers like PyTorch', () => {
    const r = fx.repr;
    assert.equal(String(new nn.MaxPool2d(2)), r.maxPool2d);
    assert.equal(
      String(new nn.MaxPool2d([2, 3], { stride: 1, padding: 1, dilation: 2, ceilMode: true })),
      r.maxPool2dFull,
    );
    assert.equal(String(new nn.AvgPool2d(3, { stride: 2, padding: 1 })), r.avgPool2d);
    assert.equal(String(new nn.AdaptiveAvgPool2d([null, 3])), r.adaptiveAvgPool2d);
    // As BatchNorm1d and LayerNorm print: JavaScript's booleans and numbers in PyTorch's layout.
    const js = (s: string): string =>
      s.replace(/True/g, 'true').replace(/False/g, 'false').replace('1e-05', '0.00001');
    assert.equal(String(new nn.BatchNorm2d(3)), js(r.batchNorm2d));
    assert.equal(
      String(new nn.BatchNorm2d(8, { eps: 1e-3, momentum: 0.2, affine: false })),
      js(r.batchNorm2dOpts),
    );
  });

  it('Dropout2d zeroes whole channels, scales the rest by 1/(1 − p), is the identity in eval', () => {
    const p = 0.4;
    const drop = new nn.Dropout2d(p, { generator: new Generator(11) });
    const x = ones([8, 16, 3, 2], { dtype: 'float64' }).requiresGrad_(true);
    const out = drop.forward(x);
    const v = Array.from(out.dataSync());
    let zeros = 0;
    for (let ch = 0; ch < 8 * 16; ch++) {
      const plane = v.slice(ch * 6, ch * 6 + 6);
      assert.ok(
        plane.every((a) => a === plane[0]),
        `channel ${ch} is all kept or all dropped`,
      );
      assert.ok(plane[0] === 0 || Math.abs(plane[0] - 1 / (1 - p)) < 1e-12, `channel ${ch}: ${plane[0]}`);
      if (plane[0] === 0) zeros++;
    }
    assert.ok(zeros > 30 && zeros < 75, `${zeros} of 128 channels dropped, expected about 51`);
    // The gradient flows through the kept channels only, with the same scale.
    out.sum().backward();
    assertClose(x.grad!, out.detach());
    // The same seed gives the same mask; eval and p = 0 pass the input through.
    assertClose(new nn.Dropout2d(p, { generator: new Generator(11) }).forward(x.detach()), out.detach());
    drop.eval();
    assert.equal(drop.forward(x), x);
    assert.equal(F.dropout2d(x, 0), x);
    assertClose(F.dropout2d(ones([2, 3, 2, 2]), 1), ones([2, 3, 2, 2]).mul(0));
    // Unbatched [C, H, W]: whole channels too.
    const u = Array.from(
      F.dropout2d(ones([40, 2, 2]), 0.5, true, { generator: new Generator(3) }).dataSync(),
    );
    for (let ch = 0; ch < 40; ch++) assert.ok(u.slice(ch * 4, ch * 4 + 4).every((a) => a === u[ch * 4]));
    assert.ok(u.some((a) => a === 0) && u.some((a) => a === 2));
    assert.equal(String(new nn.Dropout2d(0.3)), 'Dropout2d(p=0.3)');
  });

  it('names the layer and the shapes on bad arguments and input', () => {
    assertThrowsMatch(
      () => new nn.Dropout2d(1.5),
      IndexError,
      /^Dropout2d: dropout probability has to be between 0 and 1, but got 1.5/,
    );
    assertThrowsMatch(
      () => F.dropout2d(ones([2, 3]), 0.5),
      ShapeError,
      /^dropout2d: expected a 4-D .*\[2,3\]/,
    );
    assertThrowsMatch(
      () => new nn.Upsample(),
      IndexError,
      /^Upsample: give exactly one of size and scaleFactor/,
    );
    assertThrowsMatch(
      () => new nn.Upsample({ size: 4, scaleFactor: 2 }),
      IndexError,
      /^Upsample: give exactly one/,
    );
    assertThrowsMatch(
      () => new nn.MaxPool2d(2, { padding: 2 }).forward(ones([1, 1, 4, 4])),
      ShapeError,
      /^maxPool2d: padding 2 should be at most half of the kernel size 2/,
    );
    assertThrowsMatch(
      () => new nn.AvgPool2d(5).forward(ones([1, 1, 4, 4])),
      ShapeError,
      /^avgPool2d: the kernel \[5,5\].*\[4,4\].*\[1,1,4,4\]/,
    );
  });
});
