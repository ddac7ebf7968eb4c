/**
 * Batch normalization (torch.nn.functional.batch_norm). Where the backend has the batch-norm kernels,
 * training is one recorded op over three passes (statistics, normalize, and two for the backward)
 * instead of a dozen elementwise ops and as many again in their backward; otherwise it is composed.
 * Gradients of any order work either way: a backward that is itself recorded uses composed ops.
 */
import { isGradEnabled, noGrad } from '../../autograd/grad-mode.js';
import { record } from '../../autograd/record.js';
import type { Backend } from '../../backend/backend.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { add, mul, sub } from '../../ops/arith.js';
import { clone } from '../../ops/convert.js';
import { mean, sum } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { rsqrt } from '../../ops/unary.js';
import '../../ops/inplace.js';

function checkInput(x: unknown): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`batchNorm: expected input to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DTypeError(
      `batchNorm: expected input to be floating point, got dtype ${x.dtype} (shape ${fmtShape(x.shape)})`,
    );
  }
  if (x.ndim < 2) {
    throw new ShapeError(
      `batchNorm: expected an input of shape [N, C, *] with at least 2 dims, got ${fmtShape(x.shape)}`,
    );
  }
  return x;
}

function checkChannels(x: Tensor, what: string, t: Tensor | null, c: number): void {
  if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
    throw new ShapeError(
      `batchNorm: ${what} should have shape [${c}] (the channels of the input ${fmtShape(x.shape)}), got ${fmtShape(t.shape)}`,
    );
  }
}

/**
 * Batch normalization over [N, C, *] inputs, per channel C. In training it normalizes with the batch's
 * mean and biased variance and updates the running statistics in place:
 * running = (1 − momentum)·running + momentum·batch, with the unbiased variance for running_var
 * (PyTorch's rule). Otherwise it normalizes with runningMean and runningVar.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const x = checkInput(input);
  const c = x.shape[1];
  checkChannels(x, 'runningMean', runningMean, c);
  checkChannels(x, 'runningVar', runningVar, c);
  checkChannels(x, 'weight', weight, c);
  checkChannels(x, 'bias', bias, c);
  const a: Affine = { weight, bias, eps };
  if (training) {
    const n = x.numel() / Math.max(c, 1);
    if (n <= 1) {
      throw new ShapeError(
        `batchNorm: expected more than 1 value per channel when training, got input shape ${fmtShape(x.shape)}`,
      );
    }
    const be = fusedBackend(x, [weight, bias]);
    const [y, mu, v] = be ? trainFused(be, x, a) : trainComposed(x, a);
    noGrad(() => {
      if (runningMean) {
        const m = mu.reshape([c]).to(runningMean.dtype);
        runningMean.copy_(add(mul(runningMean, 1 - momentum), mul(m, momentum)));
      }
      if (runningVar) {
        const unbiased = mul(v.reshape([c]), n / (n - 1)).to(runningVar.dtype);
        runningVar.copy_(add(mul(runningVar, 1 - momentum), mul(unbiased, momentum)));
      }
    });
    return y;
  }
  if (!runningMean || !runningVar) {
    throw new IndexError('batchNorm: runningMean and runningVar are required when training is false');
  }
  const be = fusedBackend(x, [weight, bias, runningMean, runningVar]);
  return be ? evalFused(be, x, runningMean, runningVar, a) : evalComposed(x, runningMean, runningVar, a);
}

interface Affine {
  weight: Tensor | null;
  bias: Tensor | null;
  eps: number;
}

interface FusedBackend extends Backend {
  batchNormStats: NonNullable<Backend['batchNormStats']>;
  batchNormApply: NonNullable<Backend['batchNormApply']>;
  batchNormBackward: NonNullable<Backend['batchNormBackward']>;
}

/** x's backend when it has the kernels and the other tensors share its backend and dtype. */
function fusedBackend(x: Tensor, others: readonly (Tensor | null)[]): FusedBackend | null {
  const be = x.storage.backend;
  if (!be.batchNormStats || !be.batchNormApply || !be.batchNormBackward) return null;
  const same = others.every((t) => !t || (t.storage.backend === be && t.dtype === x.dtype));
  return same ? (be as FusedBackend) : null;
}

/** Reduces over every dim but 1; the per-channel [C] values broadcast as [1, C, 1, …]. */
function dimsOf(x: Tensor): { dims: number[]; bshape: number[] } {
  return {
    dims: x.shape.map((_, i) => i).filter((i) => i !== 1),
    bshape: x.shape.map((s, i) => (i === 1 ? s : 1)),
  };
}

/** The output, the batch mean and the biased variance (these two of any shape with C elements). */
function trainComposed(x: Tensor, { weight, bias, eps }: Affine): [Tensor, Tensor, Tensor] {
  const { dims, bshape } = dimsOf(x);
  const mu = mean(x, dims, true);
  const centered = sub(x, mu);
  const v = mean(mul(centered, centered), dims, true);
  let y = mul(centered, rsqrt(add(v, eps)));
  if (weight) y = mul(y, reshape(weight, bshape));
  if (bias) y = add(y, reshape(bias, bshape));
  return [y, mu, v];
}

function evalComposed(x: Tensor, rm: Tensor, rv: Tensor, { weight, bias, eps }: Affine): Tensor {
  const { bshape } = dimsOf(x);
  let y = mul(sub(x, reshape(rm, bshape)), rsqrt(add(reshape(rv, bshape), eps)));
  if (weight) y = mul(y, reshape(weight, bshape));
  if (bias) y = add(y, reshape(bias, bshape));
  return y;
}

/** The gradients for [x, weight, bias] in the order record's inputs were given. */
function forInputs(dx: Tensor, dw: Tensor, db: Tensor, { weight, bias }: Affine): Tensor[] {
  return [dx, ...(weight ? [dw] : []), ...(bias ? [db] : [])];
}

function trainFused(be: FusedBackend, x: Tensor, a: Affine): [Tensor, Tensor, Tensor] {
  const { weight, bias, eps } = a;
  const c = x.shape[1];
  const [ms, vs] = be.batchNormStats(x.storage, x.shape);
  const mu = new Tensor(ms, [c]);
  const v = new Tensor(vs, [c]);
  const invstd = noGrad(() => rsqrt(add(v, eps)));
  const scale = weight ? noGrad(() => mul(invstd, weight)) : invstd;
  const shift = bias ? bias.storage : be.fill(c, 0, x.dtype);
  const y = new Tensor(be.batchNormApply(x.storage, x.shape, scale.storage, shift, ms), x.shape);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const saved = weight ? [x, weight] : [x];
  record(
    'batchNorm',
    inputs,
    y,
    (g) => {
      // Recording a backward (gradients of gradients) needs the composed, differentiable form.
      if (isGradEnabled() || g.storage.backend !== be || g.dtype !== x.dtype) {
        return trainBackwardComposed(g, x, a);
      }
      const [dx, db, dw] = be.batchNormBackward(
        g.storage,
        x.storage,
        x.shape,
        ms,
        invstd.storage,
        weight ? weight.storage : null,
      );
      return forInputs(new Tensor(dx, x.shape), new Tensor(dw, [c]), new Tensor(db, [c]), a);
    },
    saved,
  );
  return [y, mu, v];
}

/**
 * dx = invstd·(γg − mean(γg) − x̂·mean(γg·x̂)), dγ = Σ g·x̂, dβ = Σ g, with the statistics recomputed
 * from x by differentiable ops, so that the result can be differentiated again.
 */
function trainBackwardComposed(g: Tensor, x: Tensor, a: Affine): Tensor[] {
  const { dims, bshape } = dimsOf(x);
  const mu = mean(x, dims, true);
  const centered = sub(x, mu);
  const r = rsqrt(add(mean(mul(centered, centered), dims, true), a.eps));
  const xhat = mul(centered, r);
  const gy = a.weight ? mul(g, reshape(a.weight, bshape)) : g;
  const dx = mul(r, sub(sub(gy, mean(gy, dims, true)), mul(xhat, mean(mul(gy, xhat), dims, true))));
  return forInputs(dx, sum(mul(g, xhat), dims), sum(g, dims), a);
}

function evalFused(be: FusedBackend, x: Tensor, rm: Tensor, rv: Tensor, a: Affine): Tensor {
  const { weight, bias, eps } = a;
  const c = x.shape[1];
  // Copies of the statistics used, so that later updates of the buffers do not change the backward.
  const center = noGrad(() => clone(rm));
  const invstd = noGrad(() => rsqrt(add(rv, eps)));
  const scale = weight ? noGrad(() => mul(invstd, weight)) : invstd;
  const shift = bias ? bias.storage : be.fill(c, 0, x.dtype);
  const y = new Tensor(be.batchNormApply(x.storage, x.shape, scale.storage, shift, center.storage), x.shape);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(
    'batchNorm',
    inputs,
    y,
    (g) => {
      // Composed ops: differentiable in g and γ when a graph is recorded.
      const { dims, bshape } = dimsOf(x);
      const r = reshape(invstd, bshape);
      const dx = x.requiresGrad ? mul(g, weight ? mul(r, reshape(weight, bshape)) : r) : null;
      const dw = weight?.requiresGrad ? sum(mul(g, mul(sub(x, reshape(center, bshape)), r)), dims) : null;
      return [dx, ...(weight ? [dw] : []), ...(bias ? [sum(g, dims)] : [])];
    },
    weight ? [x, weight] : [x],
  );
}
