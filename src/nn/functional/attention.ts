/**
 * Scaled dot-product attention (PyTorch 2.x's F.scaled_dot_product_attention), composed of
 * differentiable ops, and the mask helpers that MultiheadAttention shares with it.
 */
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { fromTypedArray } from '../../tensor/create.js';
import type { DType } from '../../tensor/dtype.js';
import { typedArrayFor } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { add, mul } from '../../ops/arith.js';
import { where } from '../../ops/compare.js';
import { mm } from '../../ops/matmul.js';
import { softmax } from '../../ops/softmax.js';
import { broadcastShapes } from '../../tensor/shape.js';
import { dropout } from './layers.js';

export interface ScaledDotProductAttentionOptions {
  /** The factor on q·kᵀ; 1/√E (E the query's last dim) by default. */
  scale?: number | null;
  /** Draws the attention dropout mask from this generator instead of the default one. */
  generator?: Generator;
  /** Dropout applies only when true (the default, as PyTorch applies dropoutP whenever it is given). */
  training?: boolean;
}

function floatArg(op: string, what: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`${op}: expected ${what} to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DTypeError(`${op}: expected ${what} to be floating point, got dtype ${x.dtype}`);
  }
  return x;
}

/** A bool [L, S] mask that is true where key j ≤ query i (the positions a causal query may see). */
export function causalMask(L: number, S: number): Tensor {
  const v = typedArrayFor('bool', L * S);
  for (let i = 0; i < L; i++) for (let j = 0; j <= Math.min(i, S - 1); j++) v[i * S + j] = 1;
  return fromTypedArray(v, [L, S]);
}

/**
 * An additive float mask from a bool one: 0 where the position takes part, −∞ where it does not.
 * `trueMeans` says what true marks: 'keep' (scaledDotProductAttention) or 'mask'
 * (MultiheadAttention's attnMask and keyPaddingMask, as in PyTorch).
 */
export function maskToBias(mask: Tensor, dtype: DType, trueMeans: 'keep' | 'mask'): Tensor {
  if (mask.dtype !== 'bool') return mask;
  const bias = trueMeans === 'keep' ? where(mask, 0, -Infinity) : where(mask, -Infinity, 0);
  return bias.to(dtype);
}

/**
 * softmax(q·kᵀ·scale + bias)·v with its attention weights; `bias` is an additive float mask or
 * null. Shared by scaledDotProductAttention and MultiheadAttention.
 */
export function attentionCore(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  bias: Tensor | null,
  scale: number,
  dropoutP: number,
  opts: { generator?: Generator; training?: boolean } = {},
): [Tensor, Tensor] {
  let scores = mul(mm(q, k, false, true), scale);
  if (bias) scores = add(scores, bias);
  let weights = softmax(scores, -1);
  if (dropoutP > 0 && opts.training !== false) {
    weights = dropout(weights, dropoutP, true, { generator: opts.generator });
  }
  return [mm(weights, v), weights];
}

/**
 * Attention of queries [..., L, E] over keys [..., S, E] and values [..., S, Ev] (batch dims
 * broadcast): softmax(q·kᵀ·scale + mask)·v, of shape [..., L, Ev]. attnMask broadcasts to
 * [..., L, S]: a bool mask is true where a position takes part, a float mask is added to the
 * scores. isCausal masks keys after each query (key j > query i); it cannot be combined with a mask.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  attnMask: Tensor | null = null,
  dropoutP = 0,
  isCausal = false,
  opts: ScaledDotProductAttentionOptions = {},
): Tensor {
  const op = 'scaledDotProductAttention';
  const q = floatArg(op, 'query', query);
  const k = floatArg(op, 'key', key);
  const v = floatArg(op, 'value', value);
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) {
    throw new DTypeError(
      `${op}: query, key and value must have the same dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`,
    );
  }
  const shapes = `query ${fmtShape(q.shape)}, key ${fmtShape(k.shape)}, value ${fmtShape(v.shape)}`;
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
    throw new ShapeError(`${op}: query, key and value need at least 2 dims, got ${shapes}`);
  }
  const [L, E] = q.shape.slice(-2);
  const S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E || v.shape[v.ndim - 2] !== S) {
    throw new ShapeError(
      `${op}: expected key [..., S, ${E}] and value [..., S, Ev] with the same S, got ${shapes}`,
    );
  }
  broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2), v.shape.slice(0, -2));
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1)) {
    throw new IndexError(`${op}: dropoutP must be in [0, 1], got ${String(dropoutP)}`);
  }
  let bias: Tensor | null = null;
  if (isCausal) {
    if (attnMask !== null && attnMask !== undefined) {
      throw new IndexError(`${op}: an explicit attnMask cannot be combined with isCausal`);
    }
    bias = maskToBias(causalMask(L, S), q.dtype, 'keep');
  } else if (attnMask !== null && attnMask !== undefined) {
    if (!(attnMask instanceof Tensor)) throw new DTypeError(`${op}: attnMask must be a Tensor or null`);
    if (attnMask.dtype !== 'bool' && attnMask.dtype !== q.dtype) {
      throw new DTypeError(
        `${op}: attnMask must be bool or of the query's dtype ${q.dtype}, got ${attnMask.dtype}`,
      );
    }
    if (attnMask.ndim < 1 || broadcastFails(attnMask.shape, [L, S])) {
      throw new ShapeError(
        `${op}: attnMask of shape ${fmtShape(attnMask.shape)} does not broadcast to [..., ${L}, ${S}] (${shapes})`,
      );
    }
    bias = maskToBias(attnMask, q.dtype, 'keep');
  }
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  return attentionCore(q, k, v, bias, scale, dropoutP, opts)[0];
}

/** Whether the last two dims of `shape` fail to broadcast to [L, S]. */
function broadcastFails(shape: readonly number[], ls: readonly number[]): boolean {
  const tail = shape.slice(-2);
  const want = ls.slice(-tail.length);
  return tail.some((s, i) => s !== 1 && s !== want[i]);
}
