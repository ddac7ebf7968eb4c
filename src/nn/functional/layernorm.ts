/**
 * Layer norm as one recorded op on a backend's kernels (statistics, normalization and affine in one
 * pass; the backward in two), and the composed form: the forward where a backend has no kernels, the
 * backward where it is itself recorded (gradients of gradients need differentiable ops).
 */
import { isGradEnabled } from '../../autograd/grad-mode.js';
import { record } from '../../autograd/record.js';
import { sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { add, mul, sub } from '../../ops/arith.js';
import { mean, sum } from '../../ops/reduce.js';
import { rsqrt } from '../../ops/unary.js';

interface Affine {
  weight: Tensor | null;
  bias: Tensor | null;
  eps: number;
}

/** The k normalized (last) dims of x, and the leading ones the weight's and bias's gradients sum over. */
function dimsOf(x: Tensor, k: number): { dims: number[]; lead: number[] } {
  const all = x.shape.map((_, i) => i);
  return { dims: all.slice(x.ndim - k), lead: all.slice(0, x.ndim - k) };
}

/** (x − mean)/√(var + eps)·weight + bias over the last k dims, by differentiable ops. */
export function layerNormComposed(x: Tensor, k: number, { weight, bias, eps }: Affine): Tensor {
  const { dims } = dimsOf(x, k);
  const centered = sub(x, mean(x, dims, true));
  const v = mean(mul(centered, centered), dims, true);
  let y = mul(centered, rsqrt(add(v, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/**
 * dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·weight, dweight = Σ g·x̂, dbias = Σ g over the leading
 * dims, the statistics recomputed from x by differentiable ops.
 */
function backwardComposed(g: Tensor, x: Tensor, k: number, a: Affine): (Tensor | null)[] {
  const { dims, lead } = dimsOf(x, k);
  const centered = sub(x, mean(x, dims, true));
  const r = rsqrt(add(mean(mul(centered, centered), dims, true), a.eps));
  const xhat = mul(centered, r);
  const gh = a.weight ? mul(g, a.weight) : g;
  const dx = mul(r, sub(sub(gh, mean(gh, dims, true)), mul(xhat, mean(mul(gh, xhat), dims, true))));
  const leadSum = (t: Tensor): Tensor => (lead.length > 0 ? sum(t, lead) : t);
  return [
    x.requiresGrad ? dx : null,
    ...(a.weight ? [a.weight.requiresGrad ? leadSum(mul(g, xhat)) : null] : []),
    ...(a.bias ? [a.bias.requiresGrad ? leadSum(g) : null] : []),
  ];
}

/**
 * Layer norm over the last k dims on the backend's kernels, or null where it has none for these
 * tensors (another backend or dtype among them, or a kernel declines).
 */
export function layerNormFused(x: Tensor, k: number, a: Affine): Tensor | null {
  const be = x.storage.backend;
  const { weight, bias, eps } = a;
  if (!be.layerNorm || !be.layerNormBackward) return null;
  if ([weight, bias].some((t) => t && (t.storage.backend !== be || t.dtype !== x.dtype))) return null;
  const [rows, cols] = [sizeOf(x.shape.slice(0, x.ndim - k)), sizeOf(x.shape.slice(x.ndim - k))];
  const out = be.layerNorm(x.storage, rows, cols, weight?.storage ?? null, bias?.storage ?? null, eps);
  if (!out) return null;
  const [ys, ms, rs] = out;
  const y = new Tensor(ys, x.shape);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(
    'layerNorm',
    inputs,
    y,
    (g) => {
      const params = !!(weight?.requiresGrad || bias?.requiresGrad);
      const r =
        isGradEnabled() || g.storage.backend !== be || g.dtype !== x.dtype
          ? null
          : be.layerNormBackward!(g.storage, x.storage, ms, rs, weight?.storage ?? null, rows, cols, params);
      if (!r) return backwardComposed(g, x, k, a);
      const [dx, dw, db] = r;
      const pshape = x.shape.slice(x.ndim - k);
      return [
        new Tensor(dx, x.shape),
        ...(weight ? [dw && new Tensor(dw, pshape)] : []),
        ...(bias ? [db && new Tensor(db, pshape)] : []),
      ];
    },
    weight ? [x, weight] : [x],
  );
}
