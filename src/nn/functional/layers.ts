/**
 * The functional forms of the layers (torch.nn.functional), in PyTorch's argument order. Each is
 * composed of differentiable ops, so gradients of any order work (batchNorm and layerNorm, in their own
 * files, may run fused kernels with a composed backward for higher orders); the modules in nn/layers
 * call these.
 */
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import { rand } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { binaryKernel, mul } from '../../ops/arith.js';
import { eq, where } from '../../ops/compare.js';
import { indexSelect } from '../../ops/gather.js';
import type { LinearActivation } from '../../ops/linear.js';
import { linearAct } from '../../ops/linear.js';
import { reshape, unsqueeze } from '../../ops/shape.js';
import '../../ops/inplace.js';
import { layerNormComposed, layerNormFused } from './layernorm.js';

export { relu, sigmoid, tanh } from '../../ops/unary.js';
export { leakyRelu, elu, gelu, silu, softplus, logSigmoid, hardtanh, relu6 } from '../../ops/activation.js';
export type { GeluApproximate } from '../../ops/activation.js';
export { softmax, logSoftmax } from '../../ops/softmax.js';
export { pad } from '../../ops/join.js';
export { batchNorm } from './batchnorm.js';

function floatTensor(op: string, what: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`${op}: expected ${what} to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DTypeError(
      `${op}: expected ${what} to be floating point, got dtype ${x.dtype} (shape ${fmtShape(x.shape)})`,
    );
  }
  return x;
}

function sameDtype(op: string, input: Tensor, what: string, t: Tensor): void {
  if (t.dtype !== input.dtype) {
    throw new DTypeError(`${op}: input dtype ${input.dtype} and ${what} dtype ${t.dtype} do not match`);
  }
}

/** y = x·Wᵀ + b for x of shape [*, in], W [out, in], b [out]. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearActivation(input, weight, bias ?? null, 'none');
}

/**
 * linear followed by an activation, as one op on backends with a fused kernel (Sequential uses it
 * for a Linear → ReLU pair); the same checks and results as linear then the activation.
 */
export function linearActivation(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  activation: LinearActivation,
): Tensor {
  const x = floatTensor('linear', 'input', input);
  const w = floatTensor('linear', 'weight', weight);
  if (w.ndim !== 2)
    throw new ShapeError(`linear: weight must be 2-D [out, in], got shape ${fmtShape(w.shape)}`);
  const inF = w.shape[1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      `linear: input shape ${fmtShape(x.shape)} and weight shape ${fmtShape(w.shape)} do not match ` +
        `(the input's last dim must be ${inF})`,
    );
  }
  sameDtype('linear', x, 'weight', w);
  let b: Tensor | null = null;
  if (bias !== null) {
    b = floatTensor('linear', 'bias', bias);
    if (b.ndim !== 1 || b.shape[0] !== w.shape[0]) {
      throw new ShapeError(
        `linear: bias shape ${fmtShape(b.shape)} does not match the weight's ${fmtShape(w.shape)} (expected [${w.shape[0]}])`,
      );
    }
    sameDtype('linear', x, 'bias', b);
  }
  return linearAct(x, w, b, activation);
}

/** 1/(1 − p) where a uniform draw falls below 1 − p, else 0: the comparison gives floats directly. */
function keepMask(keep: Tensor, p: number): Tensor {
  return mul(binaryKernel('lt', keep, 1 - p, keep.dtype, keep.dtype)[2], 1 / (1 - p));
}

export interface DropoutOptions {
  generator?: Generator;
}

function checkP(op: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new IndexError(`${op}: dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 − p) (inverted dropout), so the
 * expected value is unchanged and evaluation needs no rescaling; with training false it returns the input.
 */
export function dropout(input: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  const x = floatTensor('dropout', 'input', input);
  checkP('dropout', p);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const keep = rand(x.shape, { dtype: x.dtype, generator: opts.generator });
  const mask = keepMask(keep, p);
  return mul(x, mask);
}

/**
 * Zeroes whole channels (feature maps) of [N, C, H, W] or unbatched [C, H, W] inputs with probability
 * p and scales the rest by 1/(1 − p): neighbouring pixels are correlated, so element-wise dropout
 * would barely regularize a convolution.
 */
export function dropout2d(input: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  const x = floatTensor('dropout2d', 'input', input);
  checkP('dropout2d', p);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new ShapeError(
      `dropout2d: expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got shape ${fmtShape(x.shape)}`,
    );
  }
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const maskShape = x.shape.map((s, i) => (i < x.ndim - 2 ? s : 1));
  const keep = rand(maskShape, { dtype: x.dtype, generator: opts.generator });
  return mul(x, keepMask(keep, p));
}

/** Normalizes over the last dims given by normalizedShape (biased variance), then scales and shifts. */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  const x = floatTensor('layerNorm', 'input', input);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || x.ndim < k || tail.some((s, i) => s !== ns[i])) {
    throw new ShapeError(
      `layerNorm: given normalizedShape ${fmtShape(ns)}, expected an input of shape [*, ${ns.join(', ')}], got ${fmtShape(x.shape)}`,
    );
  }
  for (const [what, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== k || t.shape.some((s, i) => s !== ns[i]))) {
      throw new ShapeError(`layerNorm: ${what} should have shape ${fmtShape(ns)}, got ${fmtShape(t.shape)}`);
    }
  }
  const affine = { weight, bias, eps };
  return layerNormFused(x, k, affine) ?? layerNormComposed(x, k, affine);
}

/**
 * Looks up rows of weight [numEmbeddings, dim] by int32 indices of any shape; the result has shape
 * [...input.shape, dim]. The paddingIdx row is looked up as stored but receives no gradient.
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  if (!(input instanceof Tensor) || input.dtype !== 'int32') {
    const what = input instanceof Tensor ? `dtype ${input.dtype}` : typeof input;
    throw new DTypeError(`embedding: indices must be an int32 tensor, got ${what}`);
  }
  const w = floatTensor('embedding', 'weight', weight);
  if (w.ndim !== 2) {
    throw new ShapeError(
      `embedding: weight must be 2-D [numEmbeddings, embeddingDim], got ${fmtShape(w.shape)}`,
    );
  }
  const [num, dim] = w.shape;
  const flat = reshape(input, [input.numel()]);
  let rows: Tensor;
  try {
    rows = indexSelect(w, 0, flat);
  } catch (e) {
    if (e instanceof IndexError) throw new IndexError(`embedding: ${e.message} (${num} embeddings)`);
    throw e;
  }
  if (paddingIdx !== null && paddingIdx !== undefined) {
    const pad = paddingIdx < 0 ? paddingIdx + num : paddingIdx;
    if (!Number.isInteger(pad) || pad < 0 || pad >= num) {
      throw new IndexError(`embedding: paddingIdx ${paddingIdx} must be within the ${num} embeddings`);
    }
    // Same values, but the padding rows' gradient goes to a detached copy, i.e. nowhere.
    rows = where(unsqueeze(eq(flat, pad), 1), rows.detach(), rows);
  }
  return reshape(rows, [...input.shape, dim]);
}
