/**
 * Convolutions on a backend's conv kernels (one recorded op each, padding read as zeros, no im2col
 * matrix for the whole batch), and the composed forms their gradients fall back to where a backward is
 * itself recorded: im2col by asStrided and products, differentiable to any order.
 */
import { isGradEnabled } from '../autograd/grad-mode.js';
import { record } from '../autograd/record.js';
import type { Backend, ConvGeometry, LinearActivation, Storage } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { windowCount } from './conv-args.js';
import { pad } from './join.js';
import { mm } from './matmul.js';
import { sum } from './reduce.js';
import { permute, reshape } from './shape.js';
import { reluBackward } from './unary.js';
import { narrow } from './slice.js';
import { asStrided, asStridedScatter } from './strided.js';

/** Padding per side, [[top, bottom], [left, right]]. */
export type Pads = readonly (readonly number[])[];

/**
 * cols[g, (c, kh, kw), (n, oh, ow)] = x[n, g·cg + c, oh·sh + kh·dh, ow·sw + kw·dw] of an already
 * padded x, as [groups, cg·KH·KW, N·OH·OW]: the spatial positions last, so that the gather copies
 * whole rows of ow and the products need no transposes.
 */
export function im2col(
  x: Tensor,
  wShape: readonly number[],
  out: readonly number[],
  s: readonly number[],
  d: readonly number[],
  groups: number,
): Tensor {
  const [n, c, h, w] = x.shape;
  const [, cg, kh, kw] = wShape;
  const [oh, ow] = out;
  const cols = asStrided(
    x,
    [groups, cg, kh, kw, n, oh, ow],
    [cg * h * w, h * w, d[0] * w, d[1], c * h * w, s[0] * w, s[1]],
  );
  return reshape(cols, [groups, cg * kh * kw, n * oh * ow]);
}

export type ConvBackend = Backend &
  Required<Pick<Backend, 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardWeight'>>;

/** x's backend when it has the convolution kernels and the weight shares its backend and dtype. */
export function convBackend(x: Tensor, weight: Tensor): ConvBackend | null {
  const be = x.storage.backend;
  if (!be.conv2d || !be.conv2dBackwardInput || !be.conv2dBackwardWeight) return null;
  return weight.storage.backend === be && weight.dtype === x.dtype ? (be as ConvBackend) : null;
}

/**
 * The convolution as one recorded op on the backend's kernels (padding read as zeros), with the bias
 * and activation applied in the same pass where given (the caller passes a bias only when it shares
 * the backend and dtype), or null where the kernels do not apply (the composed form then runs, and
 * reports bad sizes).
 */
export function conv2dFused(
  be: ConvBackend,
  x: Tensor,
  weight: Tensor,
  pads: Pads,
  s: readonly number[],
  d: readonly number[],
  groups: number,
  bias: Tensor | null = null,
  activation: LinearActivation = 'none',
): Tensor | null {
  const [n, , h, w] = x.shape;
  const [o, , kh, kw] = weight.shape;
  const out = [
    windowCount(h + pads[0][0] + pads[0][1], kh, s[0], 0, d[0]),
    windowCount(w + pads[1][0] + pads[1][1], kw, s[1], 0, d[1]),
  ];
  if (out[0] < 1 || out[1] < 1) return null;
  const geom = { s, p: [pads[0][0], pads[1][0]], d, groups, out };
  const ys = be.conv2d(
    x.storage,
    x.shape,
    weight.storage,
    weight.shape,
    geom,
    bias?.storage ?? null,
    activation,
  );
  if (!ys) return null;
  return recordConv(
    'conv2d',
    be,
    x,
    weight,
    new Tensor(ys, [n, o, out[0], out[1]]),
    (g) => [
      () => be.conv2dBackwardInput(g.storage, weight.storage, x.shape, weight.shape, geom),
      () => be.conv2dBackwardWeight(g.storage, x.storage, x.shape, weight.shape, geom),
    ],
    (g) => convBackwardComposed(g, x, weight, pads, s, d, groups),
    { bias, activation },
  );
}

/**
 * Records a convolution done by kernels: its backward runs the backend's two gradient kernels, or the
 * composed form where a backward is itself recorded (gradients of gradients need differentiable ops),
 * the gradient came from another backend or dtype, or a kernel declines. With an epilogue, the
 * gradient first goes back through the activation (ReLU's: 0 where y ≤ 0), and the bias's is its sum
 * over images and positions.
 */
function recordConv(
  name: string,
  be: ConvBackend,
  x: Tensor,
  weight: Tensor,
  y: Tensor,
  kernels: (g: Tensor) => [() => Storage | null, () => Storage | null],
  composed: (g: Tensor) => Tensor[],
  epilogue: { bias: Tensor | null; activation: LinearActivation } = { bias: null, activation: 'none' },
): Tensor {
  const { bias, activation } = epilogue;
  const relu = activation === 'relu';
  return record(
    name,
    bias ? [x, weight, bias] : [x, weight],
    y,
    (gy) => {
      const g = relu ? reluBackward(gy, y) : gy;
      const gb = bias?.requiresGrad ? sum(g, [0, 2, 3]) : null;
      if (isGradEnabled() || g.storage.backend !== be || g.dtype !== x.dtype) return [...composed(g), gb];
      const [input, filter] = kernels(g);
      const dx = x.requiresGrad ? input() : null;
      const dw = weight.requiresGrad ? filter() : null;
      if ((x.requiresGrad && !dx) || (weight.requiresGrad && !dw)) return [...composed(g), gb];
      return [dx && new Tensor(dx, x.shape), dw && new Tensor(dw, weight.shape), gb];
    },
    relu ? [x, weight, y] : [x, weight],
  );
}

/**
 * ∂x and ∂w of the convolution by differentiable ops (the adjoints of conv2dValid's product and
 * gather, then of the padding), so that they can be differentiated again.
 */
function convBackwardComposed(
  g: Tensor,
  x: Tensor,
  weight: Tensor,
  pads: Pads,
  s: readonly number[],
  d: readonly number[],
  groups: number,
): Tensor[] {
  const [n, , h, w] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  const xp = padZeros(x, pads);
  const [, c, hp, wp] = xp.shape;
  const [oh, ow] = g.shape.slice(2);
  const k = cg * kh * kw;
  const gy = reshape(permute(g, [1, 0, 2, 3]), [groups, o / groups, n * oh * ow]);
  const gw = reshape(mm(gy, im2col(xp, weight.shape, [oh, ow], s, d, groups), false, true), weight.shape);
  const gcols = mm(reshape(weight, [groups, o / groups, k]), gy, true, false);
  let gx = asStridedScatter(reshape(gcols, [groups, cg, kh, kw, n, oh, ow]), xp.shape, [
    cg * hp * wp,
    hp * wp,
    d[0] * wp,
    d[1],
    c * hp * wp,
    s[0] * wp,
    s[1],
  ]);
  if (hp !== h) gx = narrow(gx, 2, pads[0][0], h);
  if (wp !== w) gx = narrow(gx, 3, pads[1][0], w);
  return [gx, gw];
}

/**
 * The transposed convolution as one recorded op: it is conv2d's adjoint with respect to the input, so
 * the forward is that kernel, ∂x the forward convolution of ∂y and ∂w the weight kernel with x and ∂y
 * in swapped roles. outSize is [OH, OW] of the result; null where the kernels do not apply.
 */
export function convTranspose2dFused(
  be: ConvBackend,
  x: Tensor,
  weight: Tensor,
  outSize: readonly number[],
  pads: readonly number[],
  s: readonly number[],
  d: readonly number[],
  groups: number,
): Tensor | null {
  const [n, , h, w] = x.shape;
  const cout = weight.shape[1] * groups;
  const yShape = [n, cout, outSize[0], outSize[1]];
  // The geometry of the convolution whose input gradient this is: y's size in, x's size out.
  const geom: ConvGeometry = { s, p: pads, d, groups, out: [h, w] };
  const ys = be.conv2dBackwardInput(x.storage, weight.storage, yShape, weight.shape, geom);
  if (!ys) return null;
  // For the composed gradients: y padded at the far side to cover every window (output padding
  // already lengthens y; extra windows past x's size are cut off).
  const full = [h, w].map((len, i) => (len - 1) * s[i] + d[i] * (weight.shape[2 + i] - 1) + 1);
  const twoSided = pads.map((p, i) => [p, Math.max(0, full[i] - outSize[i] - p)]);
  return recordConv(
    'convTranspose2d',
    be,
    x,
    weight,
    new Tensor(ys, yShape),
    (g) => [
      () => be.conv2d(g.storage, yShape, weight.storage, weight.shape, geom),
      () => be.conv2dBackwardWeight(x.storage, g.storage, yShape, weight.shape, geom),
    ],
    (g) => [
      narrow(narrow(convComposed(g, weight, twoSided, s, d, groups), 2, 0, h), 3, 0, w),
      convBackwardComposed(x, g, weight, twoSided, s, d, groups)[1],
    ],
  );
}

/** The convolution by differentiable ops: zero padding (two-sided), then convValid. */
function convComposed(
  x: Tensor,
  weight: Tensor,
  pads: Pads,
  s: readonly number[],
  d: readonly number[],
  groups: number,
): Tensor {
  const xp = padZeros(x, pads);
  const [, , kh, kw] = weight.shape;
  const out = [windowCount(xp.shape[2], kh, s[0], 0, d[0]), windowCount(xp.shape[3], kw, s[1], 0, d[1])];
  return convValid(xp, weight, out, s, d, groups);
}

/** The convolution of an already padded x into `out` positions: im2col, then one product per group. */
export function convValid(
  x: Tensor,
  weight: Tensor,
  out: readonly number[],
  s: readonly number[],
  d: readonly number[],
  groups: number,
): Tensor {
  const [o, cg, kh, kw] = weight.shape;
  const y = mm(
    reshape(weight, [groups, o / groups, cg * kh * kw]),
    im2col(x, weight.shape, out, s, d, groups),
  );
  return permute(reshape(y, [o, x.shape[0], out[0], out[1]]), [1, 0, 2, 3]);
}

/** x with zero padding [[top, bottom], [left, right]] (x itself when there is none). */
function padZeros(x: Tensor, pads: Pads): Tensor {
  const amounts = [pads[1][0], pads[1][1], pads[0][0], pads[0][1]];
  return amounts.some((a) => a !== 0) ? pad(x, amounts) : x;
}
