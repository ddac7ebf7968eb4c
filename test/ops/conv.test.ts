import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DTypeError, IndexError, ShapeError, nn, ones, tensor } from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';
import { convNd } from '../../src/ops/conv.js';
import { checkCase, fx } from './vision-fixture.js';

const F = nn.functional;

/** The fixture's case description, for assertion messages. */
const what = (c: any): string =>
  JSON.stringify({ stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });

forEachBackend('conv2d and conv1d vs PyTorch', () => {
  it('conv2d over stride, padding (asymmetric, same, valid), dilation, groups, with and without bias', () => {
    assert.ok(fx.conv2d.length >= 10);
    for (const c of fx.conv2d) {
      try {
        checkCase(c, ['x', 'weight', 'bias'], (x, w, b) =>
          F.conv2d(x!, w!, b, c.stride, c.padding, c.dilation, c.groups),
        );
      } catch (e) {
        (e as Error).message = `${what(c)}: ${(e as Error).message}`;
        throw e;
      }
    }
  });

  it('conv2d on an unbatched [C, H, W] input', () => {
    const c = fx.conv2dUnbatched;
    checkCase(c, ['x', 'weight', 'bias'], (x, w, b) => {
      const out = F.conv2d(x!, w!, b, c.stride, c.padding);
      assert.equal(out.ndim, 3);
      return out;
    });
  });

  it('conv1d over stride, padding (incl. same with an even kernel), dilation, groups', () => {
    for (const c of fx.conv1d) {
      checkCase(c, ['x', 'weight', 'bias'], (x, w, b) =>
        F.conv1d(x!, w!, b, c.stride, c.padding, c.dilation, c.groups),
      );
    }
  });

  it('padding modes reflect, replicate and circular (nn.Conv padding_mode)', () => {
    for (const c of fx.convPaddingModes) {
      const op = c.dims === 1 ? 'conv1d' : 'conv2d';
      checkCase(c, ['x', 'weight', 'bias'], (x, w, b) => convNd(op, x!, w!, b, 1, c.padding, 1, 1, c.mode));
    }
  });

  it('float32 runs agree with PyTorch to 1e-5', () => {
    const c = fx.conv2d[4]; // groups 2, asymmetric stride and padding
    checkCase(
      c,
      ['x', 'weight', 'bias'],
      (x, w, b) => F.conv2d(x!, w!, b, c.stride, c.padding, c.dilation, c.groups),
      'float32',
    );
    const d = fx.conv1d[2];
    checkCase(
      d,
      ['x', 'weight', 'bias'],
      (x, w, b) => F.conv1d(x!, w!, b, d.stride, d.padding, d.dilation, d.groups),
      'float32',
    );
  });

  it('has exact gradients by finite differences (groups, dilation, stride, padding)', () => {
    checkGrad(
      (x, w, b) => F.conv2d(x, w, b, [2, 1], [1, 0], [1, 2], 2),
      [ramp([1, 4, 4, 5]), ramp([2, 2, 2, 2]), ramp([2])],
    );
    checkGrad((x, w) => F.conv2d(x, w, null, 1, 'same'), [ramp([1, 1, 3, 4]), ramp([2, 1, 2, 2])]);
    checkGrad((x, w) => F.conv2d(x, w, null, 1, 0, 1, 3), [ramp([2, 3, 3, 3]), ramp([3, 1, 2, 2])]);
    checkGrad((x, w, b) => F.conv1d(x, w, b, 2, 1, 2, 2), [ramp([2, 2, 6]), ramp([4, 1, 2]), ramp([4])]);
    checkGrad(
      (x, w) => convNd('conv2d', x, w, null, 1, [1, 2], 1, 1, 'reflect'),
      [ramp([1, 1, 3, 3]), ramp([1, 1, 2, 2])],
    );
    checkGrad(
      (x, w) => convNd('conv2d', x, w, null, 1, 1, 1, 1, 'circular'),
      [ramp([1, 1, 3, 3]), ramp([1, 1, 2, 2])],
    );
  });

  it('has exact second derivatives (a gradient penalty differentiates through the conv)', () => {
    checkGradGrad(
      (x, w, b) => F.conv2d(x, w, b, 2, 1).tanh(),
      [ramp([1, 2, 3, 3]), ramp([2, 2, 2, 2]), ramp([2])],
    );
    checkGradGrad(
      (x, w) => F.conv2d(x, w, null, 1, 0, 2, 2).tanh(),
      [ramp([1, 2, 5, 4]), ramp([2, 1, 2, 2])],
    );
  });

  it('names the op and the shapes on impossible shapes and bad arguments', () => {
    const x = ones([1, 3, 4, 4]);
    // The kernel does not fit in the (padded) input.
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 5, 5])),
      ShapeError,
      /^conv2d: /,
      /kernel \[5,5\]/,
      /padded input \[4,4\]/,
      /\[1,3,4,4\]/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3]), null, 1, 0, 2),
      ShapeError,
      /^conv2d: .*kernel \[3,3\].*dilation 2/,
    );
    F.conv2d(x, ones([2, 3, 6, 6]), null, 1, 1); // fits once padded
    assertThrowsMatch(
      () => F.conv1d(ones([1, 2, 3]), ones([1, 2, 5])),
      ShapeError,
      /^conv1d: the kernel \[5\] \(dilation 1\) is larger than the padded input \[3\] .*\[1,2,3\]/,
    );
    // Channels.
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 2, 3, 3])),
      ShapeError,
      /^conv2d: /,
      /\[1,3,4,4\] has 3 channels/,
      /\[2,2,3,3\]/,
      /expects 2/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 1, 3, 3]), null, 1, 0, 1, 3),
      ShapeError,
      /^conv2d: channels \(3 in, 2 out\) must be divisible by groups=3/,
    );
    assertThrowsMatch(
      () => F.conv2d(ones([1, 3, 4, 4]), ones([4, 1, 3, 3]), null, 1, 0, 1, 2),
      ShapeError,
      /^conv2d: .*3 channels.*groups=2 expects 2/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3]), ones([3])),
      ShapeError,
      /^conv2d: bias should have shape \[2\], got \[3\]/,
    );
    // Ranks.
    assertThrowsMatch(
      () => F.conv2d(ones([4, 4]), ones([1, 1, 3, 3])),
      ShapeError,
      /^conv2d: expected a 3-D or 4-D input/,
      /\[4,4\]/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3])),
      ShapeError,
      /^conv2d: weight of shape \[2,3,3\] should have 4 dims/,
      /\[1,3,4,4\]/,
    );
    assertThrowsMatch(
      () => F.conv1d(x, ones([2, 3, 3])),
      ShapeError,
      /^conv1d: expected a 2-D or 3-D input/,
      /\[1,3,4,4\]/,
    );
    // Dtypes.
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3], { dtype: 'float64' })),
      DTypeError,
      /^conv2d: .*float32.*float64.*\[2,3,3,3\]/,
    );
    assertThrowsMatch(
      () => F.conv2d(tensor([[[[1]]]], { dtype: 'int32' }), ones([1, 1, 1, 1])),
      DTypeError,
      /^conv2d: .*int32/,
    );
    // Arguments.
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3]), null, 2, 'same'),
      ShapeError,
      /^conv2d: padding='same' .*strided.*\[2,2\]/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3]), null, 0),
      IndexError,
      /^conv2d: stride must be an integer ≥ 1/,
    );
    assertThrowsMatch(
      // Keyword-style options where a positional size goes: named, not a crash inside.
      () => F.conv2d(x, ones([2, 3, 3, 3]), null, { padding: 1 } as unknown as number),
      IndexError,
      /^conv2d: stride must be an integer ≥ 1 or a list of 2 such integers, got \{"padding":1\}/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3]), null, 1, [1, 1, 1]),
      IndexError,
      /^conv2d: padding .*\[1,1,1\]/,
    );
    assertThrowsMatch(
      () => F.conv2d(x, ones([2, 3, 3, 3]), null, 1, 0, 1, 0),
      ShapeError,
      /^conv2d: groups must be a positive integer/,
    );
  });
});

forEachBackend('convTranspose2d and convTranspose1d vs PyTorch', () => {
  it('convTranspose2d over stride, padding, outputPadding, groups and dilation', () => {
    assert.ok(fx.convTranspose2d.length >= 6);
    for (const c of fx.convTranspose2d) {
      checkCase(c, ['x', 'weight', 'bias'], (x, w, b) =>
        F.convTranspose2d(x!, w!, b, c.stride, c.padding, c.outputPadding, c.groups, c.dilation),
      );
    }
  });

  it('convTranspose1d over stride, padding, outputPadding, groups and dilation', () => {
    for (const c of fx.convTranspose1d) {
      checkCase(c, ['x', 'weight', 'bias'], (x, w, b) =>
        F.convTranspose1d(x!, w!, b, c.stride, c.padding, c.outputPadding, c.groups, c.dilation),
      );
    }
  });

  it('float32 runs agree with PyTorch to 1e-5', () => {
    const c = fx.convTranspose2d[3];
    checkCase(
      c,
      ['x', 'weight', 'bias'],
      (x, w, b) => F.convTranspose2d(x!, w!, b, c.stride, c.padding, c.outputPadding, c.groups, c.dilation),
      'float32',
    );
    const d = fx.convTranspose1d[0];
    checkCase(
      d,
      ['x', 'weight', 'bias'],
      (x, w, b) => F.convTranspose1d(x!, w!, b, d.stride, d.padding, d.outputPadding, d.groups, d.dilation),
      'float32',
    );
  });

  it('is the adjoint of conv2d: <convT(y), x> = <y, conv(x)>', () => {
    const x = ramp([2, 4, 5, 6], -1, 1, false);
    const w = ramp([6, 2, 3, 2], -1, 1, false);
    const y = F.conv2d(x, w, null, [2, 1], [1, 0], [1, 2], 2);
    const r = ramp(y.shape, -2, 1, false);
    const back = F.convTranspose2d(r, w, null, [2, 1], [1, 0], 0, 2, [1, 2]);
    assert.deepEqual(back.shape, x.shape);
    assertClose(back.mul(x).sum(), y.mul(r).sum().item() as number, { shape: [] });
  });

  it('unbatched [C, H, W] input', () => {
    const x = ramp([2, 3, 3], -1, 1, false);
    const w = ramp([2, 3, 2, 2], -1, 1, false);
    const out = F.convTranspose2d(x, w, null, 2);
    assert.deepEqual(out.shape, [3, 6, 6]);
    assertClose(out, F.convTranspose2d(x.unsqueeze(0), w, null, 2).squeeze(0));
  });

  it('has exact first and second derivatives', () => {
    checkGrad(
      (x, w, b) => F.convTranspose2d(x, w, b, 2, 1, 1, 2, 1),
      [ramp([1, 4, 2, 3]), ramp([4, 1, 3, 2]), ramp([2])],
    );
    checkGrad(
      (x, w) => F.convTranspose2d(x, w, null, [1, 2], 0, [0, 1], 1, 2),
      [ramp([1, 2, 2, 2]), ramp([2, 2, 2, 2])],
    );
    checkGrad(
      (x, w, b) => F.convTranspose1d(x, w, b, 3, 1, 2, 1, 1),
      [ramp([2, 2, 3]), ramp([2, 1, 3]), ramp([1])],
    );
    checkGradGrad(
      (x, w, b) => F.convTranspose2d(x, w, b, 2, 1, 1).tanh(),
      [ramp([1, 2, 2, 2]), ramp([2, 2, 2, 2]), ramp([2])],
    );
  });

  it('names the op and the shapes on bad input', () => {
    const x = ones([1, 4, 3, 3]);
    assertThrowsMatch(
      () => F.convTranspose2d(x, ones([4, 2, 3, 3]), null, 2, 0, 2),
      ShapeError,
      /^convTranspose2d: outputPadding 2 must be smaller than either stride 2 or dilation 1/,
    );
    assertThrowsMatch(
      () => F.convTranspose2d(x, ones([4, 2, 3, 3]), null, 1, 0, 1),
      ShapeError,
      /^convTranspose2d: outputPadding 1 .*stride 1/,
    );
    F.convTranspose2d(x, ones([4, 2, 3, 3]), null, 1, 0, 1, 1, 2); // allowed: smaller than the dilation
    assertThrowsMatch(
      () => F.convTranspose2d(x, ones([3, 2, 3, 3])),
      ShapeError,
      /^convTranspose2d: .*\[1,4,3,3\] has 4 channels.*\[3,2,3,3\].*expects 3/,
    );
    assertThrowsMatch(
      () => F.convTranspose2d(x, ones([4, 2, 3, 3]), ones([3])),
      ShapeError,
      /^convTranspose2d: bias should have shape \[2\], got \[3\]/,
    );
    assertThrowsMatch(
      () => F.convTranspose2d(x, ones([4, 2, 1, 1]), null, 1, 2),
      ShapeError,
      /^convTranspose2d: the output size .*too small.*\[1,4,3,3\].*\[4,2,1,1\]/,
    );
    assertThrowsMatch(
      () => F.convTranspose2d(ones([3, 3]), ones([4, 2, 3, 3])),
      ShapeError,
      /^convTranspose2d: expected a 3-D or 4-D input/,
    );
    assertThrowsMatch(
      () => F.convTranspose1d(ones([1, 4, 3], { dtype: 'float64' }), ones([4, 2, 3])),
      DTypeError,
      /^convTranspose1d: .*float64.*float32/,
    );
  });
});
