import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, IndexError, ShapeError, nn, ones, tensor } from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';
import { checkCase, fx } from './vision-fixture.js';

const F = nn.functional;

/** Runs a fixture case, naming the case in a failure. */
function each(cases: any[], run: (c: any) => void): void {
  for (const c of cases) {
    try {
      run(c);
    } catch (e) {
      const args = Object.entries(c).filter(([k]) => !['x', 'out', 'r', 'gradX', 'indices'].includes(k));
      (e as Error).message = `${JSON.stringify(Object.fromEntries(args))}: ${(e as Error).message}`;
      throw e;
    }
  }
}

forEachBackend('max pooling vs PyTorch', () => {
  it('maxPool2d over stride, padding, dilation and ceil mode, with the indices of the maxima', () => {
    assert.ok(fx.maxPool2d.length >= 7);
    each(fx.maxPool2d, (c) => {
      let idx: Tensor | undefined;
      checkCase(c, ['x'], (x) => {
        const [out, i] = F.maxPool2d(x!, c.kernelSize, c.stride, c.padding, c.dilation, c.ceilMode, true);
        idx = i;
        return out;
      });
      assert.equal(idx!.dtype, 'int32');
      assert.deepEqual(idx!.shape, tensor(c.indices).shape);
      assert.deepEqual(Array.from(idx!.dataSync()), (c.indices as unknown[]).flat(4));
      // Without returnIndices, the values alone.
      const plain = F.maxPool2d(
        tensor(c.x, { dtype: 'float64' }),
        c.kernelSize,
        c.stride,
        c.padding,
        c.dilation,
        c.ceilMode,
      );
      assertClose(plain, c.out);
    });
  });

  it('maxPool1d over stride, padding, dilation and ceil mode (also unbatched)', () => {
    each(fx.maxPool1d, (c) => {
      checkCase(c, ['x'], (x) => F.maxPool1d(x!, c.kernelSize, c.stride, c.padding, c.dilation, c.ceilMode));
    });
  });

  it('float32 runs agree with PyTorch to 1e-5', () => {
    const c = fx.maxPool2d[2];
    checkCase(
      c,
      ['x'],
      (x) => F.maxPool2d(x!, c.kernelSize, c.stride, c.padding, c.dilation, c.ceilMode),
      'float32',
    );
    const d = fx.maxPool1d[1];
    checkCase(
      d,
      ['x'],
      (x) => F.maxPool1d(x!, d.kernelSize, d.stride, d.padding, d.dilation, d.ceilMode),
      'float32',
    );
  });

  it("NaN wins, the last one of a window (PyTorch's val > max || isnan(val)); ties keep the first", () => {
    const x = tensor([NaN, 1, NaN, 2, 3, 1, 3, 2]).reshape([1, 2, 2, 2]);
    const [v, i] = F.maxPool2d(x, 2, 2, 0, 1, false, true);
    assert.ok(Number.isNaN(v.dataSync()[0]));
    assert.deepEqual(Array.from(i.dataSync()), [2, 0]);
  });

  it('the gradient sums over overlapping windows (3×3, stride 1 and 2, padding 1), in float32', () => {
    for (const stride of [1, 2]) {
      const vals = Array.from({ length: 2 * 5 * 6 }, (_, k) => Math.round(Math.sin(k * 2.3) * 10) / 2);
      const x = tensor(vals).reshape([1, 2, 5, 6]).requiresGrad_();
      const [y, idx] = F.maxPool2d(x, 3, stride, 1, 1, false, true);
      const cot = Array.from({ length: y.numel() }, (_, k) => (k % 7) - 3);
      y.mul(tensor(cot).reshape([...y.shape]))
        .sum()
        .backward();
      const want = new Array(60).fill(0);
      const per = y.shape[2] * y.shape[3];
      Array.from(idx.dataSync()).forEach((p, o) => (want[Math.floor(o / per) * 30 + p] += cot[o]));
      assertClose(x.grad!, tensor(want).reshape([1, 2, 5, 6]), { atol: 0, rtol: 0 });
    }
  });

  it('2×2 windows with stride 2 in ceil mode over odd sizes (the last windows hang over the edge)', () => {
    // PyTorch: values [[500, 8, -50], [9, 9, 9]], indices [[5, 8, 4], [10, 12, 14]].
    const x = tensor([1, 2, 3, 4, -50, 500, 6, 7, 8, -60, 9, 9, 9, 9, 9]).reshape([1, 1, 3, 5]);
    const [v, i] = F.maxPool2d(x, 2, 2, 0, 1, true, true);
    assertClose(v, [
      [
        [
          [500, 8, -50],
          [9, 9, 9],
        ],
      ],
    ]);
    assert.deepEqual(Array.from(i.dataSync()), [5, 8, 4, 10, 12, 14]);
    // Against a plain loop over the windows' cells inside the plane, on 6 planes of 7×9.
    const data = Array.from({ length: 6 * 63 }, (_, k) => Math.round(Math.sin(k * 1.7) * 8));
    const [bv, bi] = F.maxPool2d(tensor(data).reshape([2, 3, 7, 9]), 2, 2, 0, 1, true, true);
    assert.deepEqual(bv.shape, [2, 3, 4, 5]);
    const [vals, idx] = [bv.dataSync(), bi.dataSync()];
    for (let p = 0, o = 0; p < 6; p++) {
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 5; c++, o++) {
          let [best, at] = [-Infinity, -1];
          for (let a = 0; a < 2; a++) {
            for (let b = 0; b < 2; b++) {
              const [h, w] = [2 * r + a, 2 * c + b];
              if (h < 7 && w < 9 && data[p * 63 + h * 9 + w] > best)
                [best, at] = [data[p * 63 + h * 9 + w], h * 9 + w];
            }
          }
          assert.equal(vals[o], best, `plane ${p} window ${r},${c}`);
          assert.equal(idx[o], at, `plane ${p} window ${r},${c}`);
        }
      }
    }
  });

  it('has exact first and second derivatives (padding, dilation, ceil mode)', () => {
    checkGrad((x) => F.maxPool2d(x, 3, 2, 1, 1, true), [ramp([1, 2, 5, 6])]);
    checkGrad((x) => F.maxPool2d(x, [2, 3], [1, 2], [1, 1], [2, 1]), [ramp([1, 1, 5, 5])]);
    checkGrad((x) => F.maxPool1d(x, 2, 3, 1, 2, true), [ramp([2, 1, 8])]);
    checkGradGrad((x) => F.maxPool2d(x, 3, 2, 1, 1, true).tanh(), [ramp([1, 2, 5, 5])]);
    // Through a conv, as a discriminator's gradient penalty would differentiate.
    checkGradGrad(
      (x, w) => F.maxPool2d(F.conv2d(x, w, null, 1, 1).tanh(), 2),
      [ramp([1, 1, 4, 4]), ramp([2, 1, 2, 2])],
    );
  });
});

forEachBackend('average pooling vs PyTorch', () => {
  it('avgPool2d over countIncludePad, ceil mode, divisorOverride and asymmetric windows', () => {
    assert.ok(fx.avgPool2d.length >= 8);
    each(fx.avgPool2d, (c) => {
      checkCase(c, ['x'], (x) =>
        F.avgPool2d(x!, c.kernelSize, c.stride, c.padding, c.ceilMode, c.countIncludePad, c.divisorOverride),
      );
    });
  });

  it('avgPool1d over countIncludePad and ceil mode', () => {
    each(fx.avgPool1d, (c) => {
      checkCase(c, ['x'], (x) =>
        F.avgPool1d(x!, c.kernelSize, c.stride, c.padding, c.ceilMode, c.countIncludePad),
      );
    });
  });

  it('adaptiveAvgPool2d to divisible, non-divisible, larger and None sizes', () => {
    assert.ok(fx.adaptiveAvgPool2d.length >= 6);
    each(fx.adaptiveAvgPool2d, (c) => {
      checkCase(c, ['x'], (x) => F.adaptiveAvgPool2d(x!, c.outputSize));
    });
  });

  it('float32 runs agree with PyTorch to 1e-5', () => {
    const c = fx.avgPool2d[3];
    checkCase(
      c,
      ['x'],
      (x) => F.avgPool2d(x!, c.kernelSize, c.stride, c.padding, c.ceilMode, c.countIncludePad),
      'float32',
    );
    const d = fx.avgPool1d[0];
    checkCase(
      d,
      ['x'],
      (x) => F.avgPool1d(x!, d.kernelSize, d.stride, d.padding, d.ceilMode, d.countIncludePad),
      'float32',
    );
    const e = fx.adaptiveAvgPool2d[2];
    checkCase(e, ['x'], (x) => F.adaptiveAvgPool2d(x!, e.outputSize), 'float32');
  });

  it('has exact gradients (padding, ceil mode, divisorOverride, adaptive bins)', () => {
    checkGrad((x) => F.avgPool2d(x, 3, 2, 1, true, false), [ramp([1, 2, 6, 7])]);
    checkGrad((x) => F.avgPool2d(x, [2, 3], [1, 2], [1, 0], false, true, 4), [ramp([1, 1, 4, 5])]);
    checkGrad((x) => F.avgPool1d(x, 3, 2, 1, true, true), [ramp([2, 1, 7])]);
    checkGrad((x) => F.adaptiveAvgPool2d(x, [2, 4]), [ramp([1, 2, 5, 5])]);
    checkGrad((x) => F.adaptiveAvgPool2d(x, 3), [ramp([2, 7, 7])]);
  });
});

forEachBackend('interpolate vs PyTorch', () => {
  it('nearest, bilinear (alignCorners true/false) and linear, by size and by scale factor', () => {
    assert.ok(fx.interpolate.length >= 15);
    each(fx.interpolate, (c) => {
      checkCase(c, ['x'], (x) => F.interpolate(x!, c.size, c.scaleFactor, c.mode, c.alignCorners));
    });
  });

  it('float32 runs agree with PyTorch to 1e-5', () => {
    for (const i of [2, 9, 15]) {
      const c = fx.interpolate[i];
      checkCase(c, ['x'], (x) => F.interpolate(x!, c.size, c.scaleFactor, c.mode, c.alignCorners), 'float32');
    }
  });

  it('has exact gradients', () => {
    checkGrad((x) => F.interpolate(x, null, 1.5), [ramp([1, 2, 3, 4])]);
    checkGrad((x) => F.interpolate(x, [5, 3], null, 'bilinear', false), [ramp([1, 1, 3, 4])]);
    checkGrad((x) => F.interpolate(x, null, [2, 1.5], 'bilinear', true), [ramp([1, 1, 3, 2])]);
    checkGrad((x) => F.interpolate(x, null, 0.5, 'bilinear'), [ramp([1, 1, 4, 5])]);
    checkGrad((x) => F.interpolate(x, 7, null, 'linear'), [ramp([2, 1, 4])]);
  });
});

forEachBackend('pooling and interpolate errors', () => {
  it('names the op and the shapes on impossible shapes and bad arguments', () => {
    const x = ones([1, 2, 3, 3]);
    assertThrowsMatch(
      () => F.maxPool2d(x, 5),
      ShapeError,
      /^maxPool2d: the kernel \[5,5\].*larger than the padded input \[3,3\].*\[1,2,3,3\]/,
    );
    assertThrowsMatch(
      () => F.maxPool2d(x, 3, 1, 0, 2),
      ShapeError,
      /^maxPool2d: .*dilation \[2,2\].*\[3,3\]/,
    );
    assertThrowsMatch(
      () => F.avgPool2d(x, 4, 1, 3),
      ShapeError,
      /^avgPool2d: padding 3 should be at most half of the kernel size 4/,
      /kernel size 4/,
    );
    F.avgPool2d(x, 4, 1, 2); // padding 2 is half the kernel: allowed
    assertThrowsMatch(
      () => F.maxPool2d(x, 2, null, 2),
      ShapeError,
      /^maxPool2d: padding 2 should be at most half of the kernel size 2/,
    );
    assertThrowsMatch(
      () => F.avgPool2d(x, 2, null, [0, 2]),
      ShapeError,
      /^avgPool2d: padding 2 .*kernel size 2/,
    );
    assertThrowsMatch(
      () => F.maxPool1d(ones([1, 2, 3]), 5),
      ShapeError,
      /^maxPool1d: the kernel \[5\].*padded input \[3\].*\[1,2,3\]/,
    );
    assertThrowsMatch(
      () => F.avgPool1d(ones([1, 2, 3]), 2, null, 2),
      ShapeError,
      /^avgPool1d: padding 2 .*kernel size 2/,
    );
    assertThrowsMatch(
      () => F.maxPool1d(ones([1, 2, 6]), [2, 2]),
      IndexError,
      /^maxPool1d: kernelSize .*\[2,2\]/,
    );
    assertThrowsMatch(
      () => F.maxPool2d(ones([3, 3]), 2),
      ShapeError,
      /^maxPool2d: expected a 3-D or 4-D input.*\[3,3\]/,
    );
    assertThrowsMatch(
      () => F.avgPool1d(x, 2),
      ShapeError,
      /^avgPool1d: expected a 2-D or 3-D input.*\[1,2,3,3\]/,
    );
    assertThrowsMatch(
      () => F.maxPool2d(tensor([[[1, 2]]], { dtype: 'int32' }), 1),
      DTypeError,
      /^maxPool2d: .*int32/,
    );
    assertThrowsMatch(
      () => F.avgPool2d(x, 2, null, 0, false, true, 0),
      ShapeError,
      /^avgPool2d: divisorOverride/,
    );
    assertThrowsMatch(
      () => F.adaptiveAvgPool2d(x, [0, 2]),
      ShapeError,
      /^adaptiveAvgPool2d: .*\[1,2,3,3\].*\[0,2\]/,
    );
    assertThrowsMatch(
      () => F.adaptiveAvgPool2d(x, [1, 2, 3] as never),
      ShapeError,
      /^adaptiveAvgPool2d: outputSize/,
    );
    assertThrowsMatch(
      () => F.adaptiveAvgPool2d(ones([3, 3]), 1),
      ShapeError,
      /^adaptiveAvgPool2d: .*\[3,3\]/,
    );
  });

  it('interpolate: exactly one of size and scaleFactor, a mode that fits the rank', () => {
    const x = ones([1, 2, 3, 3]);
    assertThrowsMatch(
      () => F.interpolate(x),
      IndexError,
      /^interpolate: give exactly one of size and scaleFactor/,
      /\[1,2,3,3\]/,
    );
    assertThrowsMatch(
      () => F.interpolate(x, 4, 2),
      IndexError,
      /^interpolate: give exactly one of size and scaleFactor/,
      /\[1,2,3,3\]/,
    );
    assertThrowsMatch(
      () => F.interpolate(x, 4, null, 'linear'),
      ShapeError,
      /^interpolate: mode 'linear' expects a 3-D input.*\[1,2,3,3\]/,
    );
    assertThrowsMatch(
      () => F.interpolate(ones([1, 2, 3]), 4, null, 'bilinear'),
      ShapeError,
      /^interpolate: mode 'bilinear' expects a 4-D input.*\[1,2,3\]/,
    );
    assertThrowsMatch(
      () => F.interpolate(x, 4, null, 'nearest', true),
      IndexError,
      /^interpolate: alignCorners/,
    );
    assertThrowsMatch(
      () => F.interpolate(x, 4, null, 'bicubic' as never),
      IndexError,
      /^interpolate: unknown mode 'bicubic'/,
    );
    assertThrowsMatch(
      () => F.interpolate(x, [4, 4, 4]),
      ShapeError,
      /^interpolate: size .*\[1,2,3,3\].*\[4,4,4\]/,
    );
    assertThrowsMatch(
      () => F.interpolate(x, null, 0.2),
      ShapeError,
      /^interpolate: output size \[0,0\].*\[1,2,3,3\]/,
    );
    assertThrowsMatch(
      () => F.interpolate(ones([2, 3]), 4),
      ShapeError,
      /^interpolate: expected a 3-D or 4-D input.*\[2,3\]/,
    );
  });
});
