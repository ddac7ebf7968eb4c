import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, IndexError, ShapeError, nn, tensor } from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';

const F = nn.functional;

interface Enc {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  fn: string;
  opts: Record<string, unknown>;
  input: Enc;
  target: Enc & { dtype: 'int32' | 'float64' };
  tensors: Record<string, Enc>;
  output: Enc;
  grad: Enc;
  cot: Enc | null;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/losses.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const dec = (e: Enc, dtype: 'float64' | 'int32' = 'float64', requiresGrad = false): Tensor =>
  tensor(e.data, { shape: e.shape, dtype, requiresGrad });

type LossFn = (input: Tensor, target: Tensor, opts?: any) => Tensor;
const functional: Record<string, LossFn> = {
  mseLoss: F.mseLoss,
  l1Loss: F.l1Loss,
  smoothL1Loss: F.smoothL1Loss,
  huberLoss: F.huberLoss,
  binaryCrossEntropy: F.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: F.binaryCrossEntropyWithLogits,
  crossEntropy: F.crossEntropy,
  nllLoss: F.nllLoss,
  klDiv: F.klDiv,
};
const modules: Record<string, new (opts: any) => nn.Loss<any>> = {
  mseLoss: nn.MSELoss,
  l1Loss: nn.L1Loss,
  smoothL1Loss: nn.SmoothL1Loss,
  huberLoss: nn.HuberLoss,
  binaryCrossEntropy: nn.BCELoss,
  binaryCrossEntropyWithLogits: nn.BCEWithLogitsLoss,
  crossEntropy: nn.CrossEntropyLoss,
  nllLoss: nn.NLLLoss,
  klDiv: nn.KLDivLoss,
};

const tol = { atol: 1e-9, rtol: 1e-7 };

forEachBackend('losses match PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const x = dec(c.input, 'float64', true);
      const target = dec(c.target, c.target.dtype);
      const opts: Record<string, unknown> = { ...c.opts };
      for (const [k, v] of Object.entries(c.tensors)) opts[k] = dec(v);
      const out = functional[c.fn](x, target, opts);
      assertClose(out, dec(c.output), tol);
      (c.cot ? out.mul(dec(c.cot)).sum() : out).backward();
      assertClose(x.grad!, dec(c.grad), tol);
      // The module form gives the same value.
      const mod = new modules[c.fn](opts);
      assertClose(mod.forward(x.detach(), target), dec(c.output), tol);
    });
  }
  it('covers every loss and every reduction', () => {
    for (const fn of Object.keys(functional)) {
      const reds = new Set(fixture.cases.filter((c) => c.fn === fn).map((c) => c.opts.reduction));
      assert.deepEqual(
        [...reds].sort(),
        fn === 'klDiv' ? ['batchmean', 'mean', 'none', 'sum'] : ['mean', 'none', 'sum'],
      );
    }
  });
});

forEachBackend('loss gradients (gradcheck, float64)', () => {
  const reds = ['mean', 'sum', 'none'] as const;
  const probs = (shape: number[]) => ramp(shape, 0.05, 0.95);

  it('regression losses, in input and target', () => {
    for (const reduction of reds) {
      checkGrad((x, y) => F.mseLoss(x, y, { reduction }), [ramp([3, 4]), ramp([3, 4], -2, 2)]);
      checkGrad((x, y) => F.l1Loss(x, y, { reduction }), [ramp([3, 4]), ramp([3, 4], -2, 2)]);
      checkGrad(
        (x, y) => F.smoothL1Loss(x, y, { reduction, beta: 0.7 }),
        [ramp([3, 4]), ramp([3, 4], -2, 2)],
      );
      checkGrad((x, y) => F.huberLoss(x, y, { reduction, delta: 0.6 }), [ramp([3, 4]), ramp([3, 4], -2, 2)]);
    }
    checkGradGrad((x, y) => F.huberLoss(x, y, { delta: 0.6 }), [ramp([2, 3]), ramp([2, 3], -2, 2)]);
  });

  it('binary cross-entropy, with weights and posWeight', () => {
    const w = ramp([4], 0.5, 2, false);
    for (const reduction of reds) {
      checkGrad(
        (x, y) => F.binaryCrossEntropy(x, y, { reduction, weight: w }),
        [probs([3, 4]), probs([3, 4])],
      );
      checkGrad(
        (x, y) => F.binaryCrossEntropyWithLogits(x, y, { reduction, weight: w, posWeight: w.flip([0]) }),
        [ramp([3, 4], -4, 4), probs([3, 4])],
      );
    }
    checkGradGrad((x, y) => F.binaryCrossEntropy(x, y), [probs([2, 3]), probs([2, 3])]);
    checkGradGrad((x, y) => F.binaryCrossEntropyWithLogits(x, y), [ramp([2, 3], -3, 3), probs([2, 3])]);
  });

  it('cross-entropy and NLL, with class indices and with probabilities', () => {
    const cls = tensor([2, 0, -100, 1], { dtype: 'int32' });
    const w = ramp([3], 0.5, 2, false);
    for (const reduction of reds) {
      const opts = { reduction, weight: w, labelSmoothing: 0.2 };
      checkGrad((x) => F.crossEntropy(x, cls, opts), [ramp([4, 3], -2, 2)]);
      checkGrad((x) => F.nllLoss(x, cls, { reduction, weight: w }), [ramp([4, 3], -2, 2)]);
      checkGrad((x, p) => F.crossEntropy(x, p.softmax(1), opts), [ramp([4, 3], -2, 2), ramp([4, 3])]);
      const cls3 = tensor(
        [
          [0, 2],
          [1, -100],
        ],
        { dtype: 'int32' },
      );
      checkGrad((x) => F.crossEntropy(x, cls3, opts), [ramp([2, 3, 2], -2, 2)]);
    }
    checkGradGrad((x) => F.crossEntropy(x, cls, { weight: w, labelSmoothing: 0.1 }), [ramp([4, 3], -2, 2)]);
  });

  it('KL divergence, in input and target', () => {
    for (const reduction of [...reds, 'batchmean'] as const) {
      checkGrad(
        (x, y) => F.klDiv(x.logSoftmax(1), y.softmax(1), { reduction }),
        [ramp([3, 4]), ramp([3, 4])],
      );
      checkGrad((x, y) => F.klDiv(x, y, { reduction, logTarget: true }), [ramp([3, 4]), ramp([3, 4])]);
    }
  });
});

forEachBackend('loss behaviour and errors', () => {
  it('gives the same loss and gradients whether or not a target is ignored (two code paths)', () => {
    // Valid targets only take a path without the ignore masks; one ignored row takes the general one.
    const rows = [
      [0.2, -1.3, 0.7],
      [1.1, 0.4, -0.6],
      [-0.3, 0.9, 0.5],
    ];
    for (const labelSmoothing of [0, 0.2]) {
      const x1 = tensor(rows, { dtype: 'float64', requiresGrad: true });
      const l1 = F.crossEntropy(x1, tensor([2, 0, 1], { dtype: 'int32' }), {
        labelSmoothing,
        reduction: 'sum',
      });
      l1.backward();
      const x2 = tensor([...rows, [5, -5, 0]], { dtype: 'float64', requiresGrad: true });
      const l2 = F.crossEntropy(x2, tensor([2, 0, 1, -100], { dtype: 'int32' }), {
        labelSmoothing,
        reduction: 'sum',
      });
      l2.backward();
      assertClose(l1, l2);
      assertClose(x1.grad!, x2.grad!.narrow(0, 0, 3));
      const mean1 = F.crossEntropy(x1.detach(), tensor([2, 0, 1], { dtype: 'int32' }), { labelSmoothing });
      const mean2 = F.crossEntropy(x2.detach(), tensor([2, 0, 1, -100], { dtype: 'int32' }), {
        labelSmoothing,
      });
      assertClose(mean1, mean2);
    }
  });

  it('is stable for large logits and clamps BCE logs at -100', () => {
    const z = tensor([1000, -1000], { dtype: 'float64' });
    const t = tensor([0, 1], { dtype: 'float64' });
    assertClose(F.binaryCrossEntropyWithLogits(z, t, { reduction: 'none' }), [1000, 1000]);
    assertClose(F.binaryCrossEntropy(tensor([1, 0], { dtype: 'float64' }), t, { reduction: 'sum' }), 200);
    const big = tensor([[1000, 0, -1000]], { dtype: 'float64' });
    assertClose(F.crossEntropy(big, tensor([0], { dtype: 'int32' })), 0);
    assertClose(F.crossEntropy(big, tensor([2], { dtype: 'int32' })), 2000);
  });

  it('ignores targets equal to ignoreIndex, also in the mean', () => {
    const x = ramp([3, 4], -1, 1, false);
    const all = F.crossEntropy(x, tensor([1, 2, 3], { dtype: 'int32' }), { reduction: 'none' });
    const part = F.crossEntropy(x, tensor([1, 0, 3], { dtype: 'int32' }), { ignoreIndex: 0 });
    assertClose(part, all.index('::2').mean());
    // Every target ignored: 0/0, as in PyTorch.
    assert.ok(Number.isNaN(F.nllLoss(x, tensor([-100, -100, -100], { dtype: 'int32' })).item()));
  });

  it('loss modules hold weights as buffers and print like PyTorch', () => {
    const w = tensor([1, 2, 3]);
    const ce = new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 });
    assert.deepEqual(Object.keys(ce.stateDict()), ['weight']);
    ce.double();
    assert.equal(ce.weight!.dtype, 'float64');
    assert.equal(String(new nn.MSELoss()), 'MSELoss()');
    assert.equal(String(new nn.L1Loss({ reduction: 'sum' })), "L1Loss(reduction='sum')");
    assert.deepEqual(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: w }).stateDict()), ['pos_weight']);
  });

  it('names the loss, shapes and dtypes on bad input', () => {
    const x = ramp([3, 4], -1, 1, false);
    const idx = tensor([0, 1, 2], { dtype: 'int32' });
    assertThrowsMatch(
      () => F.mseLoss(x, ramp([3], -1, 1, false)),
      ShapeError,
      /^mseLoss: target shape \[3\] does not match input shape \[3,4\]/,
    );
    assertThrowsMatch(
      () => F.l1Loss(x, idx),
      DTypeError,
      /^l1Loss: target must be a floating-point tensor, got dtype int32/,
    );
    assertThrowsMatch(
      () => F.mseLoss(x, x, { reduction: 'avg' as never }),
      IndexError,
      /^mseLoss: reduction must be 'mean', 'sum', 'none', got "avg"/,
    );
    assertThrowsMatch(
      () => F.crossEntropy(x, ramp([3], 0, 1, false)),
      ShapeError,
      /^crossEntropy: a floating-point target holds class probabilities and must have the input's shape \[3,4\], got \[3\]/,
    );
    assertThrowsMatch(
      () => F.crossEntropy(x, tensor([0, 4, 1], { dtype: 'int32' })),
      IndexError,
      /^crossEntropy: target holds a class index out of range for 4 classes/,
    );
    assertThrowsMatch(
      () => F.nllLoss(x, tensor([0, -1, 1], { dtype: 'int32' })),
      IndexError,
      /^nllLoss: target holds a class index out of range/,
    );
    assertThrowsMatch(
      () => F.nllLoss(x, tensor([[0], [1], [2]], { dtype: 'int32' })),
      ShapeError,
      /^nllLoss: class-index target must have shape \[3\] for input of shape \[3,4\], got \[3,1\]/,
    );
    assertThrowsMatch(
      () => F.nllLoss(x, tensor([0, 1, 2], { dtype: 'bool' })),
      DTypeError,
      /^nllLoss: target must hold class indices as an int32 tensor, got dtype bool/,
    );
    assertThrowsMatch(
      () => F.crossEntropy(x, idx, { weight: tensor([1, 2]) }),
      ShapeError,
      /^crossEntropy: weight must be a 1-D tensor with one entry per class \(4\), got shape \[2\]/,
    );
    assertThrowsMatch(
      () => F.crossEntropy(x, idx, { labelSmoothing: 1.5 }),
      IndexError,
      /^crossEntropy: labelSmoothing must be a number in \[0, 1\]/,
    );
    assertThrowsMatch(
      () => F.binaryCrossEntropy(x, x, { weight: tensor([1, 2]) }),
      ShapeError,
      /^binaryCrossEntropy: weight of shape \[2\] does not broadcast to \[3,4\]/,
    );
    assertThrowsMatch(
      () => F.smoothL1Loss(x, x, { beta: -1 }),
      IndexError,
      /^smoothL1Loss: beta must be a number >= 0/,
    );
    assertThrowsMatch(
      () => F.klDiv(x, x, { reduction: 'avg' as never }),
      IndexError,
      /^klDiv: reduction must be .*'batchmean'/,
    );
    assertThrowsMatch(
      () => new nn.MSELoss({ reduction: 'avg' as never }),
      IndexError,
      /^MSELoss: reduction must be/,
    );
  });
});
