import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';

/**
 * Batch-normalization loops over [N, C, *] arrays, per channel C. The data is walked as N·C runs of
 * `inner` contiguous elements (inner = the product of the dims after C, 1 for [N, C]); all sums are
 * JS numbers, i.e. float64, also for float32 data. Shared by the reference and the WebAssembly
 * backends (the latter on views of its memory).
 */

/** [N, C, inner] of an [N, C, *] shape. */
function split(shape: Shape): [number, number, number] {
  let inner = 1;
  for (let d = 2; d < shape.length; d++) inner *= shape[d];
  return [shape[0], shape[1], inner];
}

/**
 * Per-channel mean and biased variance, corrected two-pass: the mean, then Σ(x − μ)² − (Σ(x − μ))²/n.
 * With float64 sums the relative error of the variance is about n·2⁻⁵³ plus the inputs' own
 * rounding, whatever the mean: no E[x²] − E[x]² cancellation.
 */
export function batchNormStatsLoop(
  x: TypedArray,
  shape: Shape,
  mean: TypedArray,
  variance: TypedArray,
): void {
  const [outer, channels, inner] = split(shape);
  const count = outer * inner;
  const mu = new Float64Array(channels);
  const sq = new Float64Array(channels);
  const dev = new Float64Array(channels);
  // Sums of each run first, then of the runs: a blocked summation, tighter than one running sum.
  for (let a = 0, o = 0; a < outer; a++) {
    for (let c = 0; c < channels; c++, o += inner) {
      let s = 0;
      for (let i = o, end = o + inner; i < end; i++) s += x[i];
      mu[c] += s;
    }
  }
  for (let c = 0; c < channels; c++) mu[c] /= count;
  for (let a = 0, o = 0; a < outer; a++) {
    for (let c = 0; c < channels; c++, o += inner) {
      const m = mu[c];
      let s = 0;
      let s2 = 0;
      for (let i = o, end = o + inner; i < end; i++) {
        const d = x[i] - m;
        s += d;
        s2 += d * d;
      }
      dev[c] += s;
      sq[c] += s2;
    }
  }
  for (let c = 0; c < channels; c++) {
    mean[c] = mu[c];
    variance[c] = Math.max(0, (sq[c] - (dev[c] * dev[c]) / count) / count);
  }
}

/**
 * y = (x − center[c])·scale[c] + shift[c] in one pass. Subtracting the center first (rather than
 * folding it into the shift) keeps float32 results accurate when the mean is large against the spread.
 */
export function batchNormApplyLoop(
  x: TypedArray,
  shape: Shape,
  scale: TypedArray,
  shift: TypedArray,
  center: TypedArray | null,
  out: TypedArray,
): void {
  const [outer, channels, inner] = split(shape);
  for (let a = 0, o = 0; a < outer; a++) {
    for (let c = 0; c < channels; c++, o += inner) {
      const k = scale[c];
      const b = shift[c];
      const m = center ? center[c] : 0;
      for (let i = o, end = o + inner; i < end; i++) out[i] = (x[i] - m) * k + b;
    }
  }
}

/**
 * The training-mode backward of y = x̂·γ + β with x̂ = (x − μ)·invstd over the batch's statistics:
 * sumG = Σg (β's gradient) and sumGXhat = Σg·x̂ (γ's gradient) per channel in one pass, then
 * dx = invstd·γ·(g − Σg/n − x̂·Σg·x̂/n) in a second. weight null means γ = 1.
 */
export function batchNormBackwardLoop(
  g: TypedArray,
  x: TypedArray,
  shape: Shape,
  mean: TypedArray,
  invstd: TypedArray,
  weight: TypedArray | null,
  dx: TypedArray,
  sumG: TypedArray,
  sumGXhat: TypedArray,
): void {
  const [outer, channels, inner] = split(shape);
  const count = outer * inner;
  const sg = new Float64Array(channels);
  const sgx = new Float64Array(channels);
  for (let a = 0, o = 0; a < outer; a++) {
    for (let c = 0; c < channels; c++, o += inner) {
      const m = mean[c];
      let s = 0;
      let sx = 0;
      for (let i = o, end = o + inner; i < end; i++) {
        const gi = g[i];
        s += gi;
        sx += gi * (x[i] - m);
      }
      sg[c] += s;
      sgx[c] += sx;
    }
  }
  // dx = g·A + (x − μ)·B + C per channel, with x − μ formed first for the same reason as in apply.
  const A = new Float64Array(channels);
  const B = new Float64Array(channels);
  const C = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const r = invstd[c];
    const gxhat = sgx[c] * r;
    sumG[c] = sg[c];
    sumGXhat[c] = gxhat;
    A[c] = (weight ? weight[c] : 1) * r;
    B[c] = (-A[c] * r * gxhat) / count;
    C[c] = (-A[c] * sg[c]) / count;
  }
  for (let a = 0, o = 0; a < outer; a++) {
    for (let c = 0; c < channels; c++, o += inner) {
      const ka = A[c];
      const kb = B[c];
      const kc = C[c];
      const m = mean[c];
      for (let i = o, end = o + inner; i < end; i++) dx[i] = g[i] * ka + (x[i] - m) * kb + kc;
    }
  }
}
