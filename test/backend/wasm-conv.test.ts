import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  IndexError,
  autograd,
  getBackend,
  manualSeed,
  mul,
  nn,
  ones,
  randn,
  scatterAdd,
  setBackend,
  sum,
  tensor,
  zeros,
} from '../../src/index.js';
import { assertClose } from '../helpers.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';

const F = nn.functional;

type Conv = (x: Tensor, w: Tensor, b: Tensor) => Tensor;

/**
 * Runs a convolution and its backward on the reference backend (im2col by asStrided and a product) and
 * on wasm (its conv kernels), with the same inputs, and compares output and gradients.
 */
function agree(xShape: number[], wShape: number[], conv: Conv, biasSize = wShape[0]): void {
  const results = ['js', 'wasm'].map((name) => {
    setBackend(name);
    manualSeed(3);
    const x = randn(xShape).requiresGrad_(true);
    const w = randn(wShape).requiresGrad_(true);
    const b = randn([biasSize]).requiresGrad_(true);
    const y = conv(x, w, b);
    const r = randn(y.shape);
    sum(mul(y, r)).backward();
    return { y, gx: x.grad!, gw: w.grad!, gb: b.grad! };
  });
  setBackend('js');
  const [ref, fast] = results;
  assert.equal(fast.y.storage.backend.name, 'wasm');
  for (const k of ['y', 'gx', 'gw', 'gb'] as const) assertClose(fast[k], ref[k], { atol: 1e-4, rtol: 1e-4 });
}

/** ∂(Σy²)/∂x with its graph kept, then ∂(Σ(∂x)²)/∂w: equal on both backends. */
function secondOrderAgrees(xShape: number[], wShape: number[], conv: (x: Tensor, w: Tensor) => Tensor): void {
  const [ref, fast] = ['js', 'wasm'].map((name) => {
    setBackend(name);
    manualSeed(5);
    const x = randn(xShape).requiresGrad_(true);
    const w = randn(wShape).requiresGrad_(true);
    const y = conv(x, w);
    const [gx] = autograd.grad(sum(mul(y, y)), [x], { createGraph: true });
    const [gw] = autograd.grad(sum(mul(gx!, gx!)), [w]);
    return [gx!.detach(), gw!];
  });
  setBackend('js');
  assertClose(fast[0], ref[0], { atol: 1e-3, rtol: 1e-4 });
  assertClose(fast[1], ref[1], { atol: 1e-3, rtol: 1e-4 });
}

describe('wasm convolution kernels agree with the composed reference', () => {
  it('records conv2d as one op on wasm', () => {
    setBackend('wasm');
    const x = randn([1, 2, 5, 5]).requiresGrad_(true);
    assert.equal(F.conv2d(x, randn([3, 2, 3, 3]), null, 1, 1).gradFn!.name, 'conv2d');
    setBackend('js');
  });
  it('3×3, padding 1', () => agree([3, 4, 7, 6], [5, 4, 3, 3], (x, w, b) => F.conv2d(x, w, b, 1, 1)));
  // Few taps (a first layer on a grayscale image): an inner dimension of 1–13 in the GEMM.
  it('few taps: one channel 3×3, padding 1', () =>
    agree([2, 1, 5, 6], [7, 1, 3, 3], (x, w, b) => F.conv2d(x, w, b, 1, 1)));
  it('few taps: 3 channels 2×2 (12 taps), no padding', () =>
    agree([2, 3, 4, 5], [3, 3, 2, 2], (x, w, b) => F.conv2d(x, w, b)));
  it("few taps: padding 'same' with an even kernel, 1×1, and 1×13", () => {
    agree([2, 1, 6, 9], [4, 1, 2, 2], (x, w, b) => F.conv2d(x, w, b, 1, 'same'));
    agree([1, 2, 3, 8], [5, 2, 1, 1], (x, w, b) => F.conv2d(x, w, b));
    agree([1, 1, 7, 9], [3, 1, 1, 13], (x, w, b) => F.conv2d(x, w, b, 1, [0, 6]));
  });
  it('few taps: padding [2, 0] and a conv1d', () => {
    agree([2, 1, 4, 7], [2, 1, 3, 3], (x, w, b) => F.conv2d(x, w, b, 1, [2, 0]));
    agree([3, 2, 10], [4, 2, 5], (x, w, b) => F.conv1d(x, w, b, 1, 2));
  });
  it('stride 2, padding [1, 2], dilation [2, 1]', () =>
    agree([2, 3, 9, 8], [4, 3, 3, 2], (x, w, b) => F.conv2d(x, w, b, 2, [1, 2], [2, 1])));
  it('groups 2, kernel [2, 3], stride [1, 2]', () =>
    agree([2, 4, 6, 7], [6, 2, 2, 3], (x, w, b) => F.conv2d(x, w, b, [1, 2], 0, 1, 2)));
  it("padding 'same' with an even kernel (more padding after)", () =>
    agree([2, 3, 6, 5], [2, 3, 4, 4], (x, w, b) => F.conv2d(x, w, b, 1, 'same')));
  it('depthwise (groups = channels), stride 3, large padding', () =>
    agree([2, 3, 5, 5], [6, 1, 3, 3], (x, w, b) => F.conv2d(x, w, b, 3, 3, 1, 3)));
  it('1×1, stride 2 (a projection shortcut)', () =>
    agree([4, 5, 7, 7], [8, 5, 1, 1], (x, w, b) => F.conv2d(x, w, b, 2)));
  it('conv1d, stride 2, padding 1, dilation 2, groups 3', () =>
    agree([2, 6, 11], [3, 2, 3], (x, w, b) => F.conv1d(x, w, b, 2, 1, 2, 3)));
  it('an unbatched input and a single output position', () =>
    agree([3, 3, 3], [2, 3, 3, 3], (x, w, b) => F.conv2d(x, w, b)));
  it('second derivatives go through the composed backward', () =>
    secondOrderAgrees([2, 3, 5, 5], [4, 3, 3, 3], (x, w) => F.conv2d(x, w, null, 2, 1)));
});

describe('wasm max pooling and row scatter-add kernels agree with the reference', () => {
  /** Values with ties and NaNs: the first maximum wins, and a NaN wins over numbers. */
  function input(shape = [2, 3, 9, 8]): Tensor {
    manualSeed(11);
    const x = randn(shape).round().mul(0.5); // many ties
    const v = x.dataSync();
    v[5] = NaN;
    v[100] = NaN;
    v[101] = NaN;
    v[200] = -Infinity;
    return tensor(Array.from(v), { dtype: 'float32' }).reshape(x.shape);
  }
  const cases: [string, number, number, number, number, number[]?][] = [
    ['2×2, stride 2 (the fast path: four windows at a time)', 2, 2, 0, 1],
    ['2×2, stride 2, rows of 7 windows (four at a time, then three)', 2, 2, 0, 1, [2, 3, 14, 14]],
    ['2×2, stride 2, odd width 15 (the last column unused)', 2, 2, 0, 1, [1, 2, 6, 15]],
    ['2×2, stride 2, rows of 8 and of 3 windows', 2, 2, 0, 1, [1, 2, 4, 16]],
    ['2×2, stride 2, rows of 3 windows (no group of four)', 2, 2, 0, 1, [1, 2, 5, 6]],
    ['3×3, stride 2, padding 1', 3, 2, 1, 1],
    ['2×2, stride 1, dilation 2', 2, 1, 0, 2],
  ];
  for (const [title, k, s, p, d, shape] of cases) {
    it(title, () => {
      const [ref, fast] = ['js', 'wasm'].map((name) => {
        setBackend(name);
        const x = input(shape).requiresGrad_(true);
        const [y, idx] = F.maxPool2d(x, k, s, p, d, false, true);
        manualSeed(12);
        sum(mul(y, randn(y.shape))).backward(); // the gradient is the cotangent: finite despite NaNs
        return { y, idx, gx: x.grad! };
      });
      setBackend('js');
      assert.equal(fast.y.storage.backend.name, 'wasm');
      assert.deepEqual(Array.from(fast.idx.dataSync()), Array.from(ref.idx.dataSync()));
      assertClose(fast.y, ref.y, { atol: 0, rtol: 0 });
      assertClose(fast.gx, ref.gx, { atol: 1e-6, rtol: 1e-6 });
    });
  }
  it('the positions stay in the memory as int32, usable as any int32 tensor, also after eviction', () => {
    const be = setBackend('wasm') as WasmBackend;
    const x = input([1, 2, 4, 6]).requiresGrad_(true);
    const [y, idx] = F.maxPool2d(x, 2, 2, 0, 1, false, true);
    setBackend('js');
    const [yr, ir] = F.maxPool2d(
      tensor(Array.from(x.dataSync()), { shape: [1, 2, 4, 6] }),
      2,
      2,
      0,
      1,
      false,
      true,
    );
    setBackend('wasm');
    assert.equal(idx.dtype, 'int32');
    assert.deepEqual(Array.from(idx.dataSync()), Array.from(ir.dataSync()));
    assert.deepEqual(
      Array.from(idx.add(1).dataSync()),
      Array.from(ir.dataSync()).map((v) => v + 1),
    );
    be.store.evict(); // the positions go to the host, then come back for the backward
    assert.deepEqual(Array.from(idx.dataSync()), Array.from(ir.dataSync()));
    y.sum().backward();
    const counts = new Array(48).fill(0);
    for (const [plane, positions] of [
      Array.from(ir.dataSync()).slice(0, 6),
      Array.from(ir.dataSync()).slice(6),
    ].entries()) {
      for (const p of positions) counts[plane * 24 + p] += 1;
    }
    assert.deepEqual(Array.from(x.grad!.dataSync()), counts);
    assertClose(y, yr, { atol: 0, rtol: 0 });
    setBackend('js');
  });
  it('the backward with a position from another window (in the plane) equals the reference', () => {
    const g = tensor([1, 2, 3, 4, 5, 6, 7, 8]).reshape([1, 1, 1, 8]);
    // Window 3 points at a cell of window 0: in the plane, not in its own window.
    const idx = [0, 3, 4, 7, 8, 11, 12, 15];
    idx[3] = 1;
    const window = { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], out: [1, 8] };
    const [ref, fast] = ['js', 'wasm'].map((name) => {
      setBackend(name);
      const i = tensor(idx, { dtype: 'int32' }).reshape([1, 1, 1, 8]);
      const gs = tensor(Array.from(g.dataSync())).reshape([1, 1, 1, 8]);
      return Array.from(
        getBackend().readSync(getBackend().maxPool2dBackward!(gs.storage, i.storage, [1, 1, 2, 16], window)!),
      );
    });
    setBackend('js');
    assert.deepEqual(fast, ref);
    assert.equal(ref[1], 4); // window 3's gradient, at the cell it named
    assert.equal(ref[7], 0);
  });
  it('the backward kernel names a position outside its plane, on both backends', () => {
    for (const name of ['js', 'wasm']) {
      setBackend(name);
      const g = ones([1, 1, 2, 2]);
      const idx = tensor([0, 3, 4, 99], { dtype: 'int32' }).reshape([1, 1, 2, 2]);
      const window = { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], out: [2, 2] };
      assert.throws(
        () => getBackend().maxPool2dBackward!(g.storage, idx.storage, [1, 1, 4, 4], window),
        (e: Error) =>
          e instanceof IndexError &&
          /maxPool2d backward: position 99 of output 3 is outside its input plane of 4×4 \(input \[1,1,4,4\]\)/.test(
            e.message,
          ),
        name,
      );
    }
    setBackend('js');
  });
  it('scatterAdd along the last axis names a bad index, and leaves nothing half-written', () => {
    setBackend('wasm');
    const base = zeros([2, 4]);
    const src = ones([2, 3]);
    const ok = scatterAdd(
      base,
      1,
      tensor(
        [
          [0, 0, 3],
          [1, 2, 2],
        ],
        { dtype: 'int32' },
      ),
      src,
    );
    assertClose(ok, [
      [2, 0, 0, 1],
      [0, 1, 2, 0],
    ]);
    assert.throws(
      () =>
        scatterAdd(
          base,
          1,
          tensor(
            [
              [0, 4, 1],
              [0, 0, 0],
            ],
            { dtype: 'int32' },
          ),
          src,
        ),
      /scatterAdd/,
    );
    setBackend('js');
  });
});

describe('wasm transposed convolution on the conv kernels agrees with the composed reference', () => {
  it('records convTranspose2d as one op on wasm', () => {
    setBackend('wasm');
    const x = randn([1, 2, 3, 3]).requiresGrad_(true);
    assert.equal(F.convTranspose2d(x, randn([2, 3, 3, 3])).gradFn!.name, 'convTranspose2d');
    setBackend('js');
  });
  it('stride 2, padding 1, output padding 1 (a DCGAN upsampling layer)', () =>
    agree([2, 4, 5, 5], [4, 3, 4, 4], (x, w, b) => F.convTranspose2d(x, w, b, 2, 1, 1), 3));
  it('groups 2, dilation 2, stride [2, 1], padding [0, 2]', () =>
    agree([2, 4, 4, 6], [4, 2, 3, 3], (x, w, b) => F.convTranspose2d(x, w, b, [2, 1], [0, 2], 0, 2, 2), 4));
  it('output padding larger than the padding (stride 3)', () =>
    agree([1, 2, 3, 4], [2, 2, 3, 2], (x, w, b) => F.convTranspose2d(x, w, b, 3, 0, 2), 2));
  it('convTranspose1d', () =>
    agree([2, 3, 7], [3, 2, 3], (x, w, b) => F.convTranspose1d(x, w, b, 2, 1, 1), 2));
  it('second derivatives go through the composed backward', () =>
    secondOrderAgrees([2, 3, 4, 4], [3, 2, 3, 3], (x, w) => F.convTranspose2d(x, w, null, 2, 1, 1)));
});
