import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/record.js';
import { IndexError } from '../tensor/errors.js';
import { normalizeDim, normalizeDims } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, div, log, mul, sub } from './arith.js';
import { isinf, where } from './compare.js';
import type { Dims } from './reduce.js';
import { amax, sum } from './reduce.js';
import { squeeze } from './shape.js';
import { abs, exp, sign, sqrt } from './unary.js';
import { checkFloating } from './util.js';

/** The max along dims with ±Inf replaced by 0, so that x − shift never produces Inf − Inf. */
function stableShift(x: Tensor, dims: readonly number[]): Tensor {
  const m = amax(x, dims, true);
  return where(isinf(m), 0, m);
}

/** softmax(x)ᵢ = exp(xᵢ − max) / Σⱼ exp(xⱼ − max) along dim. */
export function softmax(x: Tensor, dim: number): Tensor {
  checkFloating('softmax', x);
  const d = normalizeDim('softmax', dim, x.ndim, x.shape);
  if (x.numel() === 0) return mul(x, 1);
  const out = noGrad(() => {
    const e = exp(sub(x, stableShift(x, [d])));
    return div(e, sum(e, d, true));
  });
  // ∂: y ⊙ (g − Σ g ⊙ y)
  return record('softmax', [x], out, (g) => [mul(out, sub(g, sum(mul(g, out), d, true)))], [out]);
}

/** log(softmax(x)) computed stably as x − max − log Σ exp(x − max). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkFloating('logSoftmax', x);
  const d = normalizeDim('logSoftmax', dim, x.ndim, x.shape);
  if (x.numel() === 0) return mul(x, 1);
  const out = noGrad(() => {
    const shifted = sub(x, stableShift(x, [d]));
    return sub(shifted, log(sum(exp(shifted), d, true)));
  });
  // ∂: g − softmax ⊙ Σ g
  return record('logSoftmax', [x], out, (g) => [sub(g, mul(exp(out), sum(g, d, true)))], [out]);
}

/** log Σ exp(x) over dims, without overflow. */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  checkFloating('logsumexp', x);
  const dims = normalizeDims('logsumexp', dim, x.shape);
  const m = stableShift(x, dims).detach();
  const out = add(log(sum(exp(sub(x, m)), dims, true)), m);
  return keepdim ? out : squeeze(out, dims);
}

/**
 * Vector p-norm over dims (all by default): p = 2 ('fro'), 1, Infinity, -Infinity or any other
 * number. The 2-norm's gradient at a zero vector is taken as 0, as in PyTorch.
 */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: Dims, keepdim = false): Tensor {
  checkFloating('norm', x);
  const dims = normalizeDims('norm', dim, x.shape);
  const q = p === 'fro' ? 2 : p;
  if (typeof q !== 'number' || Number.isNaN(q))
    throw new IndexError(`norm: unsupported order p = ${String(p)}`);
  if (q === Infinity) return amax(abs(x), dims, keepdim);
  if (q === -Infinity) return mul(amax(mul(abs(x), -1), dims, keepdim), -1);
  if (q === 1) return sum(abs(x), dims, keepdim);
  if (q === 2) return norm2(x, dims, keepdim);
  if (q === 0) return sum(where(x.ne(0), 1, 0).to(x.dtype), dims, keepdim);
  return normP(x, q, dims, keepdim);
}

/** (Σ|x|ᵖ)^(1/p) with PyTorch's gradient sgn(x)·|x|ᵖ⁻¹·g / normᵖ⁻¹, taken as 0 where x or the norm is 0. */
function normP(x: Tensor, p: number, dims: readonly number[], keepdim: boolean): Tensor {
  const out = noGrad(() => sum(abs(x).pow(p), dims, true).pow(1 / p));
  const rec = record(
    'norm',
    [x],
    out,
    (g) => {
      const ax = abs(x);
      // Masked bases keep pow finite at 0, so a second derivative does not meet 0·Inf either.
      const scaled = mul(sign(x), where(x.eq(0), 0, where(x.eq(0), 1, ax).pow(p - 1)));
      const zeroNorm = out.eq(0);
      return [mul(scaled, where(zeroNorm, 0, div(g, where(zeroNorm, 1, out).pow(p - 1))))];
    },
    [x, out],
  );
  return keepdim ? rec : squeeze(rec, dims);
}

function norm2(x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  const out = noGrad(() => sqrt(sum(mul(x, x), dims, true)));
  const rec = record(
    'norm',
    [x],
    out,
    (g) => {
      const safe = where(out.eq(0), 1, out);
      return [where(out.eq(0), 0, mul(g, div(x, safe)))];
    },
    [x, out],
  );
  return keepdim ? rec : squeeze(rec, dims);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    logsumexp(dim: Dims, keepdim?: boolean): Tensor;
    norm(p?: number | 'fro', dim?: Dims, keepdim?: boolean): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  softmax(this: Tensor, d: number) {
    return softmax(this, d);
  },
  logSoftmax(this: Tensor, d: number) {
    return logSoftmax(this, d);
  },
  logsumexp(this: Tensor, d: Dims, k?: boolean) {
    return logsumexp(this, d, k);
  },
  norm(this: Tensor, p?: number | 'fro', d?: Dims, k?: boolean) {
    return norm(this, p, d, k);
  },
});
