/**
 * Pooling over NCHW inputs, composed like the convolutions: asStrided lays every window out along a
 * last axis, a reduction (max with its index, or sum) pools it, and the reductions' and asStrided's
 * backward rules route the gradient back (to the max of each window, or spread evenly).
 */
import { ShapeError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { div } from './arith.js';
import type { SizeArg } from './conv-args.js';
import { checkFloatInput, constantLike, expandSize, windowCount } from './conv-args.js';
import { scatterAdd } from './gather.js';
import { record } from '../autograd/record.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { pad } from './join.js';
import { mm } from './matmul.js';
import { mean, sum } from './reduce.js';
import { reshape, squeeze, transpose, unsqueeze } from './shape.js';
import { asStrided } from './strided.js';

interface Window {
  k: number[];
  s: number[];
  p: number[];
  d: number[];
  out: number[];
}

/** Checks and expands the window arguments of a 2-D pool; the output size follows floor or ceil mode. */
function windowOf(
  op: string,
  x: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null,
  padding: SizeArg,
  dilation: SizeArg,
  ceilMode: boolean,
): Window {
  const k = expandSize(op, 'kernelSize', kernelSize, 2, 1);
  const s =
    stride === null || (Array.isArray(stride) && stride.length === 0)
      ? k
      : expandSize(op, 'stride', stride, 2, 1);
  const p = expandSize(op, 'padding', padding, 2, 0);
  const d = expandSize(op, 'dilation', dilation, 2, 1);
  p.forEach((pi, i) => {
    if (2 * pi > k[i]) {
      throw new ShapeError(`${op}: padding ${pi} should be at most half of the kernel size ${k[i]}`);
    }
  });
  const hw = x.shape.slice(2);
  const out = hw.map((n, i) => windowCount(n, k[i], s[i], p[i], d[i], ceilMode));
  if (out.some((o) => o < 1)) {
    // The 1-D pools run with height 1: name their own (unlifted) sizes.
    const own = (v: readonly number[]): readonly number[] => (op.endsWith('1d') ? v.slice(1) : v);
    throw new ShapeError(
      `${op}: the kernel ${fmtShape(own(k))} (dilation ${fmtShape(own(d))}) is larger than the padded input ` +
        `${fmtShape(own(hw.map((n, i) => n + 2 * p[i])))} (input ${fmtShape([x.shape[0], x.shape[1], ...own(hw)])})`,
    );
  }
  return { k, s, p, d, out };
}

/** Pads (extra on the far side where ceil mode's last window reaches past) and lays windows out last. */
function windows(x: Tensor, w: Window, fill: number): Tensor {
  const [n, c, h, wd] = x.shape;
  const extra = [h, wd].map((len, i) =>
    Math.max(0, (w.out[i] - 1) * w.s[i] + w.d[i] * (w.k[i] - 1) + 1 - (len + 2 * w.p[i])),
  );
  const needsPad = w.p.some((v) => v > 0) || extra.some((v) => v > 0);
  const xp = needsPad ? pad(x, [w.p[1], w.p[1] + extra[1], w.p[0], w.p[0] + extra[0]], 'constant', fill) : x;
  const [hp, wp] = xp.shape.slice(2);
  const [oh, ow] = w.out;
  const win = asStrided(
    xp,
    [n, c, oh, ow, w.k[0], w.k[1]],
    [c * hp * wp, hp * wp, w.s[0] * wp, w.s[1], w.d[0] * wp, w.d[1]],
  );
  return reshape(win, [n, c, oh, ow, w.k[0] * w.k[1]]);
}

function batched(x: Tensor): [Tensor, boolean] {
  return x.ndim === 3 ? [unsqueeze(x, 0), true] : [x, false];
}

/** A pool's input as [N, C, H, W] and its window; the 1-D forms run as 2-D with height 1. */
function prepare(
  op: string,
  input: Tensor,
  one: boolean,
  args: {
    kernelSize: SizeArg;
    stride: SizeArg | null;
    padding: SizeArg;
    dilation: SizeArg;
    ceilMode: boolean;
  },
): { x3: Tensor; unbatched: boolean; w: Window } {
  const [x3, unbatched] = batched(one ? unsqueeze(input, -2) : input);
  // One size per argument for 1-D, lifted to [fill, size] (the fill, 1 or 0 for padding, is also
  // the least value allowed).
  const lift = (name: string, v: SizeArg | null, fill: number): SizeArg | null =>
    !one || v === null || (Array.isArray(v) && v.length === 0)
      ? v
      : [fill, expandSize(op, name, v, 1, fill)[0]];
  const w = windowOf(
    op,
    x3,
    lift('kernelSize', args.kernelSize, 1)!,
    lift('stride', args.stride, 1),
    lift('padding', args.padding, 0)!,
    lift('dilation', args.dilation, 1)!,
    args.ceilMode,
  );
  return { x3, unbatched, w };
}

const LAYOUT_2D = '[N, C, H, W] or [C, H, W]';

export function maxPool2d(
  input: Tensor,
  kernelSize: SizeArg,
  stride?: SizeArg | null,
  padding?: SizeArg,
  dilation?: SizeArg,
  ceilMode?: boolean,
  returnIndices?: false,
): Tensor;
export function maxPool2d(
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null | undefined,
  padding: SizeArg | undefined,
  dilation: SizeArg | undefined,
  ceilMode: boolean | undefined,
  returnIndices: true,
): [Tensor, Tensor];
/**
 * The maximum of each window (stride defaults to the kernel size; padding counts as −∞). With
 * returnIndices, also the int32 position of each maximum in its input plane (h·W + w), as PyTorch.
 */
export function maxPool2d(
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null = null,
  padding: SizeArg = 0,
  dilation: SizeArg = 1,
  ceilMode = false,
  returnIndices = false,
): Tensor | [Tensor, Tensor] {
  return maxPoolNd('maxPool2d', input, kernelSize, stride, padding, dilation, ceilMode, returnIndices);
}

export function maxPoolNd(
  op: 'maxPool1d' | 'maxPool2d',
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null,
  padding: SizeArg,
  dilation: SizeArg,
  ceilMode: boolean,
  returnIndices: boolean,
): Tensor | [Tensor, Tensor] {
  const one = op === 'maxPool1d';
  checkFloatInput(op, input, one ? [2, 3] : [3, 4], one ? '[N, C, L] or [C, L]' : LAYOUT_2D);
  const { x3, unbatched, w } = prepare(op, input, one, { kernelSize, stride, padding, dilation, ceilMode });
  const finish = (t: Tensor): Tensor => {
    let r = unbatched ? squeeze(t, 0) : t;
    if (one) r = squeeze(r, unbatched ? 1 : 2);
    return r;
  };
  const [values, indices] = maxPoolKernel(x3, w);
  return returnIndices ? [finish(values), finish(indices)] : finish(values);
}

/**
 * Max pooling by the backend's kernel: one pass gives each window's maximum and its position. The
 * backward adds the gradient at those positions (a scatter-add over each input plane, whose own
 * backward is a gather), so second derivatives work too.
 */
function maxPoolKernel(x: Tensor, w: Window): [Tensor, Tensor] {
  const [n, c, h, wd] = x.shape;
  const shape = [n, c, w.out[0], w.out[1]];
  const be = x.storage.backend;
  const [v, i] = be.maxPool2d(x.storage, x.shape, w);
  const values = new Tensor(v, shape);
  const indices = new Tensor(i, shape);
  record('maxPool2d', [x], values, (g) => {
    // The backend's one-pass kernel, unless this backward is itself recorded (then differentiable ops).
    const gx =
      be.maxPool2dBackward && !isGradEnabled() && g.storage.backend === be
        ? be.maxPool2dBackward(g.storage, indices.storage, x.shape, w)
        : null;
    if (gx) return [new Tensor(gx, x.shape)];
    const flat = [n, c, w.out[0] * w.out[1]];
    const planes = new Tensor(be.fill(n * c * h * wd, 0, g.dtype), [n, c, h * wd]);
    return [reshape(scatterAdd(planes, 2, reshape(indices, flat), reshape(g, flat)), x.shape)];
  });
  return [values, indices];
}

/**
 * The mean of each window. countIncludePad counts zero padding in the divisor (PyTorch's default);
 * divisorOverride replaces the divisor. In ceil mode the windows past the padded input are smaller.
 */
export function avgPool2d(
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null = null,
  padding: SizeArg = 0,
  ceilMode = false,
  countIncludePad = true,
  divisorOverride: number | null = null,
): Tensor {
  return avgPoolNd(
    'avgPool2d',
    input,
    kernelSize,
    stride,
    padding,
    ceilMode,
    countIncludePad,
    divisorOverride,
  );
}

export function avgPoolNd(
  op: 'avgPool1d' | 'avgPool2d',
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null,
  padding: SizeArg,
  ceilMode: boolean,
  countIncludePad: boolean,
  divisorOverride: number | null,
): Tensor {
  const one = op === 'avgPool1d';
  checkFloatInput(op, input, one ? [2, 3] : [3, 4], one ? '[N, C, L] or [C, L]' : LAYOUT_2D);
  if (divisorOverride !== null && !(Number.isInteger(divisorOverride) && divisorOverride !== 0)) {
    throw new ShapeError(`${op}: divisorOverride must be a non-zero integer, got ${String(divisorOverride)}`);
  }
  const { x3, unbatched, w } = prepare(op, input, one, {
    kernelSize,
    stride,
    padding,
    dilation: 1,
    ceilMode,
  });
  const total = sum(windows(x3, w, 0), -1);
  const [h, wd] = x3.shape.slice(2);
  const [oh, ow] = w.out;
  // PyTorch's divisor: the window clipped to the padded input, or to the input without countIncludePad.
  const divisor = new Float64Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let h0 = i * w.s[0] - w.p[0];
      let w0 = j * w.s[1] - w.p[1];
      let h1 = Math.min(h0 + w.k[0], h + w.p[0]);
      let w1 = Math.min(w0 + w.k[1], wd + w.p[1]);
      const poolSize = (h1 - h0) * (w1 - w0);
      h0 = Math.max(h0, 0);
      w0 = Math.max(w0, 0);
      h1 = Math.min(h1, h);
      w1 = Math.min(w1, wd);
      divisor[i * ow + j] = divisorOverride ?? (countIncludePad ? poolSize : (h1 - h0) * (w1 - w0));
    }
  }
  let out = div(total, constantLike(x3, divisor, [oh, ow]));
  if (unbatched) out = squeeze(out, 0);
  return one ? squeeze(out, -2) : out;
}

/** The matrix that averages input positions [⌊i·n/m⌋, ⌈(i+1)·n/m⌉) into output i (PyTorch's bins). */
function adaptiveBins(n: number, m: number): Float64Array {
  const mat = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const start = Math.floor((i * n) / m);
    const end = Math.ceil(((i + 1) * n) / m);
    for (let j = start; j < end; j++) mat[i * n + j] = 1 / (end - start);
  }
  return mat;
}

/**
 * Averages into an output of the given size whatever the input's (PyTorch's adaptive bins, which
 * may overlap); a null size keeps the input's. Runs as two small products with averaging matrices.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkFloatInput(op, input, [3, 4], LAYOUT_2D);
  const [h, w] = input.shape.slice(-2);
  const sizes = typeof outputSize === 'number' ? [outputSize, outputSize] : [...outputSize];
  if (sizes.length !== 2) {
    throw new ShapeError(
      `${op}: outputSize must be a number or a list of 2, got ${JSON.stringify(outputSize)}`,
    );
  }
  const [oh, ow] = sizes.map((s, i) => s ?? [h, w][i]);
  if (![oh, ow].every((s) => Number.isInteger(s) && s >= 1) || h === 0 || w === 0) {
    throw new ShapeError(
      `${op}: cannot pool input ${fmtShape(input.shape)} to output size ${JSON.stringify(outputSize)}`,
    );
  }
  if (oh === 1 && ow === 1) return mean(input, [-2, -1], true);
  if (h % oh === 0 && w % ow === 0) return avgPool2d(input, [h / oh, w / ow]);
  // x·Bwᵀ pools the columns; the rows are pooled on the transposed result.
  const cols = mm(input, constantLike(input, adaptiveBins(w, ow), [ow, w]), false, true);
  const rows = mm(transpose(cols, -1, -2), constantLike(input, adaptiveBins(h, oh), [oh, h]), false, true);
  return transpose(rows, -1, -2);
}

/** 1-D forms over [N, C, L] (run as 2-D pools with height 1). */
export function maxPool1d(
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null = null,
  padding: SizeArg = 0,
  dilation: SizeArg = 1,
  ceilMode = false,
): Tensor {
  return maxPoolNd('maxPool1d', input, kernelSize, stride, padding, dilation, ceilMode, false) as Tensor;
}

export function avgPool1d(
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null = null,
  padding: SizeArg = 0,
  ceilMode = false,
  countIncludePad = true,
): Tensor {
  return avgPoolNd('avgPool1d', input, kernelSize, stride, padding, ceilMode, countIncludePad, null);
}
