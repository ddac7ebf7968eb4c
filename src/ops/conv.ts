/**
 * Convolutions (NCHW, as PyTorch) composed from two primitives: asStrided gathers every receptive
 * field into a matrix (im2col) and one matrix product applies the filters. Their backward rules
 * make the gradients: the product's adjoints give ∂W and ∂cols, and asStrided's adjoint (a
 * scatter-add, col2im) carries ∂cols back to the input. So conv is differentiable to any order, on
 * every backend, and the transposed convolution is the same scatter used forward.
 */
import { ShapeError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { add } from './arith.js';
import type { SizeArg } from './conv-args.js';
import { checkFloatInput, expandSize, windowCount } from './conv-args.js';
import { conv2dFused, convBackend, convTranspose2dFused, convValid } from './conv-kernels.js';
import { pad } from './join.js';
import type { PadMode } from './join.js';
import { mm } from './matmul.js';
import { permute, reshape, squeeze, unsqueeze } from './shape.js';
import { narrow } from './slice.js';
import { asStridedScatter } from './strided.js';
import { relu } from './unary.js';
import type { LinearActivation } from '../backend/backend.js';

export type ConvPadding = SizeArg | 'valid' | 'same';

/** Padding per side [before, after] for each spatial dim; 'same' splits d(k − 1) with the extra after. */
function resolvePadding(
  op: string,
  padding: ConvPadding,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): [number, number][] {
  if (padding === 'valid') return kernel.map(() => [0, 0]);
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new ShapeError(
        `${op}: padding='same' is not supported for strided convolutions (stride ${fmtShape(stride)})`,
      );
    }
    return kernel.map((k, i) => {
      const total = dilation[i] * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  return expandSize(op, 'padding', padding, kernel.length, 0).map((p) => [p, p]);
}

function checkWeight(op: string, input: Tensor, weight: Tensor, groups: number, transposed: boolean): void {
  const c = input.shape[1];
  if (weight.ndim !== input.ndim) {
    throw new ShapeError(
      `${op}: weight of shape ${fmtShape(weight.shape)} should have ${input.ndim} dims for input ${fmtShape(input.shape)}`,
    );
  }
  if (!Number.isInteger(groups) || groups < 1) {
    throw new ShapeError(`${op}: groups must be a positive integer, got ${String(groups)}`);
  }
  const inChannels = transposed ? weight.shape[0] : weight.shape[1] * groups;
  if (inChannels !== c) {
    throw new ShapeError(
      `${op}: input of shape ${fmtShape(input.shape)} has ${c} channels, but weight of shape ` +
        `${fmtShape(weight.shape)} with groups=${groups} expects ${inChannels}`,
    );
  }
  if (c % groups !== 0 || (!transposed && weight.shape[0] % groups !== 0)) {
    throw new ShapeError(
      `${op}: channels (${c} in, ${transposed ? weight.shape[1] * groups : weight.shape[0]} out) must be divisible by groups=${groups}`,
    );
  }
}

function checkBias(op: string, bias: Tensor | null, outChannels: number): void {
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new ShapeError(`${op}: bias should have shape [${outChannels}], got ${fmtShape(bias.shape)}`);
  }
}

/** Unbatched [C, H, W] inputs run as a batch of one, as in PyTorch. */
function batched(x: Tensor, rank: number): [Tensor, boolean] {
  return x.ndim === rank - 1 ? [unsqueeze(x, 0), true] : [x, false];
}

/**
 * 2-D convolution: out[n, o] = bias[o] + Σ_c Σ_kh Σ_kw weight[o, c, kh, kw] ·
 * x[n, g·C/G + c, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw], with input [N, C, H, W] (or [C, H, W]) and
 * weight [O, C/groups, KH, KW]. Padding is a size, a pair, 'valid' or 'same' (stride 1).
 */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  stride: SizeArg = 1,
  padding: ConvPadding = 0,
  dilation: SizeArg = 1,
  groups = 1,
): Tensor {
  return convNd('conv2d', input, weight, bias, stride, padding, dilation, groups, 'zeros');
}

/** 1-D convolution over [N, C, L] (or [C, L]) with weight [O, C/groups, K]: conv2d with height 1. */
export function conv1d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  stride: SizeArg = 1,
  padding: ConvPadding = 0,
  dilation: SizeArg = 1,
  groups = 1,
): Tensor {
  return convNd('conv1d', input, weight, bias, stride, padding, dilation, groups, 'zeros');
}

export type ConvPaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/**
 * conv1d/conv2d with a padding mode (the Conv layers' padding_mode), then the activation (a Conv →
 * ReLU pair in nn.Sequential runs as one op: the bias and ReLU in the kernel's pass where the backend
 * has one); 1-D runs as 2-D with height 1.
 */
export function convNd(
  op: string,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: SizeArg,
  padding: ConvPadding,
  dilation: SizeArg,
  groups: number,
  paddingMode: ConvPaddingMode,
  activation: LinearActivation = 'none',
): Tensor {
  const dims = op === 'conv1d' ? 1 : 2;
  const layout = dims === 1 ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]';
  checkFloatInput(op, input, [dims + 1, dims + 2], layout, [weight, bias]);
  const [x, unbatched] = batched(input, dims + 2);
  checkWeight(op, x, weight, groups, false);
  checkBias(op, bias, weight.shape[0]);
  const kernel = weight.shape.slice(2);
  const s = expandSize(op, 'stride', stride, dims, 1);
  const d = expandSize(op, 'dilation', dilation, dims, 1);
  const p = resolvePadding(op, padding, kernel, s, d);
  // 1-D runs as 2-D with height 1.
  const lift = <T>(v: T[], one: T): T[] => (dims === 1 ? [one, v[0]] : v);
  const x4 = dims === 1 ? unsqueeze(x, 2) : x;
  const w4 = dims === 1 ? unsqueeze(weight, 2) : weight;
  const [s4, d4, p4] = [lift(s, 1), lift(d, 1), lift(p, [0, 0] as [number, number])];
  const be = paddingMode === 'zeros' ? convBackend(x, weight) : null;
  // The bias joins the kernel's pass when it shares the backend and dtype (else it is added after).
  const epilogue = !bias || (bias.dtype === x.dtype && bias.storage.backend === be);
  let out = be
    ? conv2dFused(be, x4, w4, p4, s4, d4, groups, epilogue ? bias : null, epilogue ? activation : 'none')
    : null;
  const done = out !== null && epilogue;
  if (!out) {
    // Pad explicitly (this also handles the asymmetric 'same' padding and the padding modes).
    const amounts = [...p].reverse().flat(); // pad() lists the last dim first
    const mode: PadMode = paddingMode === 'zeros' ? 'constant' : paddingMode;
    const padded = amounts.some((a) => a !== 0) ? pad(x, amounts, mode) : x;
    out = conv2dValid(op, dims === 1 ? unsqueeze(padded, 2) : padded, w4, s4, d4, groups);
  }
  if (!done) {
    if (bias) out = add(out, reshape(bias, [1, weight.shape[0], 1, 1]));
    if (activation === 'relu') out = relu(out);
  }
  if (dims === 1) out = squeeze(out, 2);
  return unbatched ? squeeze(out, 0) : out;
}

/** The kernel-too-large error, in the op's own (unlifted) sizes: conv1d runs with height 1. */
function checkOutput(
  op: string,
  x: Tensor,
  kernel: readonly number[],
  d: readonly number[],
  out: readonly number[],
): void {
  if (out[0] >= 1 && out[1] >= 1) return;
  const own = (v: readonly number[]): readonly number[] => (op === 'conv1d' ? v.slice(1) : v);
  const [n, c, h, w] = x.shape;
  const input = op === 'conv1d' ? [n, c, w] : x.shape;
  throw new ShapeError(
    `${op}: the kernel ${fmtShape(own(kernel))} (dilation ${own(d).join(', ')}) is larger than the ` +
      `padded input ${fmtShape(own([h, w]))} (padded input of shape ${fmtShape(input)})`,
  );
}

/** Convolution of an already padded [N, C, H, W] input: im2col by asStrided, then one product per group. */
function conv2dValid(
  op: string,
  x: Tensor,
  weight: Tensor,
  s: readonly number[],
  d: readonly number[],
  groups: number,
): Tensor {
  const [, , h, w] = x.shape;
  const [, , kh, kw] = weight.shape;
  const out = [windowCount(h, kh, s[0], 0, d[0]), windowCount(w, kw, s[1], 0, d[1])];
  checkOutput(op, x, [kh, kw], d, out);
  return convValid(x, weight, out, s, d, groups);
}

/**
 * The transposed convolution (the adjoint of conv2d with respect to its input, used to upsample):
 * input [N, Cin, H, W], weight [Cin, Cout/groups, KH, KW]; output size
 * (H − 1)·stride − 2·padding + dilation·(KH − 1) + outputPadding + 1. PyTorch's argument order.
 */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  stride: SizeArg = 1,
  padding: SizeArg = 0,
  outputPadding: SizeArg = 0,
  groups = 1,
  dilation: SizeArg = 1,
): Tensor {
  return convTransposeNd(
    'convTranspose2d',
    input,
    weight,
    bias,
    stride,
    padding,
    outputPadding,
    groups,
    dilation,
  );
}

/** The transposed 1-D convolution over [N, Cin, L]: convTranspose2d with height 1. */
export function convTranspose1d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  stride: SizeArg = 1,
  padding: SizeArg = 0,
  outputPadding: SizeArg = 0,
  groups = 1,
  dilation: SizeArg = 1,
): Tensor {
  return convTransposeNd(
    'convTranspose1d',
    input,
    weight,
    bias,
    stride,
    padding,
    outputPadding,
    groups,
    dilation,
  );
}

function convTransposeNd(
  op: string,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: SizeArg,
  padding: SizeArg,
  outputPadding: SizeArg,
  groups: number,
  dilation: SizeArg,
): Tensor {
  const dims = op === 'convTranspose1d' ? 1 : 2;
  const layout = dims === 1 ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]';
  checkFloatInput(op, input, [dims + 1, dims + 2], layout, [weight, bias]);
  const [x, unbatched] = batched(input, dims + 2);
  checkWeight(op, x, weight, groups, true);
  checkBias(op, bias, weight.shape[1] * groups);
  const s = expandSize(op, 'stride', stride, dims, 1);
  const d = expandSize(op, 'dilation', dilation, dims, 1);
  const p = expandSize(op, 'padding', padding, dims, 0);
  const op_ = expandSize(op, 'outputPadding', outputPadding, dims, 0);
  op_.forEach((v, i) => {
    if (v >= Math.max(s[i], d[i])) {
      throw new ShapeError(
        `${op}: outputPadding ${v} must be smaller than either stride ${s[i]} or dilation ${d[i]}`,
      );
    }
  });
  const lift = (v: number[], one: number): number[] => (dims === 1 ? [one, v[0]] : v);
  const x4 = dims === 1 ? unsqueeze(x, 2) : x;
  const w4 = dims === 1 ? unsqueeze(weight, 2) : weight;
  let out = convTranspose2dCore(op, x4, w4, bias, lift(s, 1), lift(p, 0), lift(op_, 0), groups, lift(d, 1));
  if (dims === 1) out = squeeze(out, 2);
  return unbatched ? squeeze(out, 0) : out;
}

function convTranspose2dCore(
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  [sh, sw]: readonly number[],
  [ph, pw]: readonly number[],
  [oph, opw]: readonly number[],
  groups: number,
  [dh, dw]: readonly number[],
): Tensor {
  const [n, cin, h, w] = x.shape;
  const [, og, kh, kw] = weight.shape;
  const cg = cin / groups;
  const cout = og * groups;
  const fullH = (h - 1) * sh + dh * (kh - 1) + 1;
  const fullW = (w - 1) * sw + dw * (kw - 1) + 1;
  const oh = fullH - 2 * ph + oph;
  const ow = fullW - 2 * pw + opw;
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `${op}: the output size ${fmtShape([oh, ow])} is too small (input ${fmtShape(x.shape)}, ` +
        `weight ${fmtShape(weight.shape)}, padding ${ph}, ${pw})`,
    );
  }
  const be = convBackend(x, weight);
  const fused = be && convTranspose2dFused(be, x, weight, [oh, ow], [ph, pw], [sh, sw], [dh, dw], groups);
  if (fused) return bias ? add(fused, reshape(bias, [1, cout, 1, 1])) : fused;
  // Each input pixel spreads its channels through the kernel: one product per group, with the
  // spatial positions last so that the scatter below adds whole rows.
  const k = og * kh * kw;
  const rows = reshape(permute(reshape(x, [n, groups, cg, h * w]), [1, 2, 0, 3]), [groups, cg, n * h * w]);
  const cols = mm(reshape(weight, [groups, cg, k]), rows, true, false);
  // Then col2im: add every contribution at its output position (output padding may reach past the
  // full size, which only adds zeros there).
  const bh = Math.max(fullH, ph + oh);
  const bw = Math.max(fullW, pw + ow);
  let out = asStridedScatter(
    reshape(cols, [groups, og, kh, kw, n, h, w]),
    [n, cout, bh, bw],
    [og * bh * bw, bh * bw, dh * bw, dw, cout * bh * bw, sh * bw, sw],
  );
  if (ph !== 0 || bh !== oh) out = narrow(out, 2, ph, oh);
  if (pw !== 0 || bw !== ow) out = narrow(out, 3, pw, ow);
  return bias ? add(out, reshape(bias, [1, cout, 1, 1])) : out;
}
