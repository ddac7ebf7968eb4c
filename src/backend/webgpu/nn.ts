import type { AdamHyper, PoolWindow } from '../backend.js';
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import { PRELUDE, bind, entry, f32Bits, grid, grid1d, treeSum } from './wgsl.js';

/** Threads per channel in the batch-norm reductions. */
const CWG = 256;

/** Max pooling: a thread per output scans its window (padding skipped; first max, NaN wins). */
export function maxPoolKernel(
  rt: Runtime,
  x: GPUBufferLike,
  shape: readonly number[],
  w: PoolWindow,
  values: GPUBufferLike,
  indices: GPUBufferLike,
): void {
  const [n, c, h, wd] = shape;
  const total = n * c * w.out[0] * w.out[1];
  if (total === 0) return;
  const p = rt.pipeline('maxpool2d', () => {
    return `${PRELUDE}${bind(1, 'x', 'f32')}${bind(2, 'vals', 'f32', true)}${bind(3, 'idx', 'i32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let H = pi(1u); let W = pi(2u); let OH = pu(3u); let OW = pu(4u);
  let j = i32(gid % OW); let i = i32((gid / OW) % OH); let plane = gid / (OW * OH);
  let base = plane * u32(H * W);
  let r0 = i * pi(7u) - pi(9u); let c0 = j * pi(8u) - pi(10u);
  var best = -inf(); var at = -1;
  for (var a = 0; a < pi(5u); a++) {
    let r = r0 + a * pi(11u);
    if (r < 0 || r >= H) { continue; }
    for (var b = 0; b < pi(6u); b++) {
      let col = c0 + b * pi(12u);
      if (col < 0 || col >= W) { continue; }
      let v = x[base + u32(r * W + col)];
      if (at < 0 || isNan(v) || v > best) { best = v; at = r * W + col; }
    }
  }
  vals[gid] = best;
  idx[gid] = at;
}`;
  });
  rt.dispatch(p, [x, values, indices], poolWords(total, h, wd, w), grid1d(total));
}

/** maxPoolKernel's parameter words: the count, the plane's and the output's sizes, the window. */
function poolWords(total: number, h: number, wd: number, w: PoolWindow): number[] {
  return [total, h, wd, w.out[0], w.out[1], w.k[0], w.k[1], w.s[0], w.s[1], w.p[0], w.p[1], w.d[0], w.d[1]];
}

/**
 * Max pooling's backward as a gather, a thread per input element: the sum of ∂y over the windows
 * that hold this element and chose it (idx). No atomics, so the sums are deterministic, added in the
 * reference's order (windows in output order) where windows overlap.
 */
export function maxPoolBackwardKernel(
  rt: Runtime,
  g: GPUBufferLike,
  indices: GPUBufferLike,
  shape: readonly number[],
  w: PoolWindow,
  dx: GPUBufferLike,
): void {
  const [n, c, h, wd] = shape;
  const total = n * c * h * wd;
  if (total === 0) return;
  const p = rt.pipeline('maxpool2dBackward', () => {
    return `${PRELUDE}${bind(1, 'gy', 'f32')}${bind(2, 'idx', 'i32')}${bind(3, 'dx', 'f32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let H = pi(1u); let W = pi(2u); let OH = pi(3u); let OW = pi(4u);
  let pos = i32(gid % u32(H * W)); let plane = gid / u32(H * W);
  let r = pos / W; let col = pos % W;
  let base = plane * u32(OH * OW);
  var acc = 0.0;
  // Window rows and columns in increasing order: kernel offsets from the last to the first.
  for (var a = pi(5u) - 1; a >= 0; a--) {
    let num = r + pi(9u) - a * pi(11u);
    if (num < 0 || num % pi(7u) != 0) { continue; }
    let i = num / pi(7u);
    if (i >= OH) { continue; }
    for (var b = pi(6u) - 1; b >= 0; b--) {
      let numc = col + pi(10u) - b * pi(12u);
      if (numc < 0 || numc % pi(8u) != 0) { continue; }
      let j = numc / pi(8u);
      if (j >= OW) { continue; }
      let o = base + u32(i * OW + j);
      if (idx[o] == pos) { acc = acc + gy[o]; }
    }
  }
  dx[gid] = acc;
}`;
  });
  rt.dispatch(p, [g, indices, dx], poolWords(total, h, wd, w), grid1d(total));
}

/**
 * One Adam/AdamW step in place, in the reference's order of operations (shared/adam.ts); the
 * host-side constants are computed in double precision and rounded once.
 */
export function adamKernel(
  rt: Runtime,
  p: GPUBufferLike,
  g: GPUBufferLike,
  m: GPUBufferLike,
  v: GPUBufferLike,
  vmax: GPUBufferLike | null,
  n: number,
  h: AdamHyper,
): void {
  if (n === 0) return;
  const amsgrad = vmax !== null;
  const pipe = rt.pipeline(`adam:${amsgrad}`, () => {
    return `${PRELUDE}${bind(1, 'p', 'f32', true)}${bind(2, 'g', 'f32')}${bind(3, 'm', 'f32', true)}${bind(4, 'v', 'f32', true)}${amsgrad ? bind(5, 'vm', 'f32', true) : ''}
${entry()}
  if (gid >= pu(0u)) { return; }
  let flags = pu(1u);
  var pi0 = p[gid];
  var gi = select(g[gid], -g[gid], (flags & 2u) != 0u);
  if ((flags & 1u) != 0u) { pi0 = pi0 * pf(2u); } else if (pf(3u) != 0.0) { gi = gi + pi0 * pf(3u); }
  let mi = m[gid] * pf(6u) + gi * pf(8u);
  let vi = v[gid] * pf(7u) + gi * gi * pf(9u);
  m[gid] = mi;
  v[gid] = vi;
  ${amsgrad ? 'let second = select(max(vm[gid], vi), nan(), isNan(vm[gid]) || isNan(vi)); vm[gid] = second;' : 'let second = vi;'}
  p[gid] = pi0 + (mi * -pf(4u)) / (sqrt(second) / pf(5u) + pf(10u));
}`;
  });
  const decay = h.decoupled ? 1 - h.lr * h.weightDecay : 1;
  const l2 = h.decoupled ? 0 : h.weightDecay;
  const words = [
    n,
    (h.decoupled ? 1 : 0) | (h.maximize ? 2 : 0),
    f32Bits(decay),
    f32Bits(l2),
    f32Bits(h.lr / (1 - h.beta1 ** h.step)),
    f32Bits(Math.sqrt(1 - h.beta2 ** h.step)),
    f32Bits(h.beta1),
    f32Bits(h.beta2),
    f32Bits(1 - h.beta1),
    f32Bits(1 - h.beta2),
    f32Bits(h.eps),
  ];
  rt.dispatch(pipe, vmax ? [p, g, m, v, vmax] : [p, g, m, v], words, grid1d(n));
}

/** [N, C, inner] of an [N, C, *] shape. */
export function splitNC(shape: readonly number[]): [number, number, number] {
  let inner = 1;
  for (let d = 2; d < shape.length; d++) inner *= shape[d];
  return [shape[0], shape[1], inner];
}

/** WGSL: a loop over channel ch's elements e (address `at`), strided over the workgroup. */
const CHANNEL_LOOP = (body: string) => `
  for (var e = lid; e < count; e += ${CWG}u) {
    let at = ((e / inner) * C + ch) * inner + e % inner;
    ${body}
  }`;

const sumOf = (v: string, total: string): string => treeSum(v, total, CWG);

const CHANNEL_HEAD = `var<workgroup> sh: array<f32, ${CWG}>;
${entry(CWG)}
  let ch = group;
  let C = pu(0u); let inner = pu(1u); let count = pu(2u);
  if (ch >= C) { return; }`;

/**
 * Per-channel mean and biased variance, a workgroup per channel, two passes as the reference:
 * the mean, then Σ(x − μ)² − (Σ(x − μ))²/n from the deviations (no E[x²] − E[x]² cancellation).
 */
export function bnStatsKernel(
  rt: Runtime,
  x: GPUBufferLike,
  shape: readonly number[],
  mean: GPUBufferLike,
  variance: GPUBufferLike,
): void {
  const [outer, C, inner] = splitNC(shape);
  if (C === 0) return;
  const p = rt.pipeline('bnStats', () => {
    return `${PRELUDE}${bind(1, 'x', 'f32')}${bind(2, 'mean', 'f32', true)}${bind(3, 'vr', 'f32', true)}
${CHANNEL_HEAD}
  let n = f32(count);
  var s = 0.0;
  ${CHANNEL_LOOP('s += x[at];')}
  ${sumOf('s', 'total')}
  let mu = total / n;
  var d1 = 0.0; var d2 = 0.0;
  ${CHANNEL_LOOP('let d = x[at] - mu; d1 += d; d2 += d * d;')}
  ${sumOf('d1', 'dev')}
  ${sumOf('d2', 'sq')}
  if (lid == 0u) {
    mean[ch] = mu;
    vr[ch] = max(0.0, (sq - dev * dev / n) / n);
  }
}`;
  });
  rt.dispatch(p, [x, mean, variance], [C, inner, outer * inner], grid(C));
}

/** y = (x − center[c])·scale[c] + shift[c] (center optional). */
export function bnApplyKernel(
  rt: Runtime,
  x: GPUBufferLike,
  shape: readonly number[],
  scale: GPUBufferLike,
  shift: GPUBufferLike,
  center: GPUBufferLike | null,
  out: GPUBufferLike,
): void {
  const [outer, C, inner] = splitNC(shape);
  const n = outer * C * inner;
  if (n === 0) return;
  const hasCenter = center !== null;
  const p = rt.pipeline(`bnApply:${hasCenter}`, () => {
    return `${PRELUDE}${bind(1, 'x', 'f32')}${bind(2, 'k', 'f32')}${bind(3, 'b', 'f32')}${bind(4, 'out', 'f32', true)}${hasCenter ? bind(5, 'mu', 'f32') : ''}
${entry()}
  if (gid >= pu(0u)) { return; }
  let c = (gid / pu(2u)) % pu(1u);
  out[gid] = (x[gid] - ${hasCenter ? 'mu[c]' : '0.0'}) * k[c] + b[c];
}`;
  });
  const bufs = center ? [x, scale, shift, out, center] : [x, scale, shift, out];
  rt.dispatch(p, bufs, [n, C, inner], grid1d(n));
}

/**
 * Training-mode batch-norm backward, a workgroup per channel: Σg and Σg·(x − μ) by trees, then
 * dx = g·A + (x − μ)·B + C with the per-channel constants of the reference (js/batchnorm.ts).
 */
export function bnBackwardKernel(
  rt: Runtime,
  g: GPUBufferLike,
  x: GPUBufferLike,
  shape: readonly number[],
  mean: GPUBufferLike,
  invstd: GPUBufferLike,
  weight: GPUBufferLike | null,
  dx: GPUBufferLike,
  sumG: GPUBufferLike,
  sumGXhat: GPUBufferLike,
): void {
  const [outer, C, inner] = splitNC(shape);
  if (C === 0) return;
  const hasW = weight !== null;
  const p = rt.pipeline(`bnBackward:${hasW}`, () => {
    return `${PRELUDE}${bind(1, 'g', 'f32')}${bind(2, 'x', 'f32')}${bind(3, 'mean', 'f32')}${bind(4, 'invstd', 'f32')}${bind(5, 'dx', 'f32', true)}${bind(6, 'sg', 'f32', true)}${bind(7, 'sgx', 'f32', true)}${hasW ? bind(8, 'w', 'f32') : ''}
${CHANNEL_HEAD}
  let n = f32(count);
  let mu = mean[ch];
  var s = 0.0; var sx = 0.0;
  ${CHANNEL_LOOP('let gi = g[at]; s += gi; sx += gi * (x[at] - mu);')}
  ${sumOf('s', 'tg')}
  ${sumOf('sx', 'tgx')}
  let r = invstd[ch];
  let gxhat = tgx * r;
  let A = ${hasW ? 'w[ch]' : '1.0'} * r;
  let B = -A * r * gxhat / n;
  let Cc = -A * tg / n;
  if (lid == 0u) { sg[ch] = tg; sgx[ch] = gxhat; }
  ${CHANNEL_LOOP('dx[at] = g[at] * A + (x[at] - mu) * B + Cc;')}
}`;
  });
  const bufs = weight
    ? [g, x, mean, invstd, dx, sumG, sumGXhat, weight]
    : [g, x, mean, invstd, dx, sumG, sumGXhat];
  rt.dispatch(p, bufs, [C, inner, outer * inner], grid(C));
}
