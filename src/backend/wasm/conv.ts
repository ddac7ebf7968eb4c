/**
 * Convolution kernels of the wasm backend: one image at a time, its receptive fields gathered into a
 * matrix that stays in cache (im2col, padding read as zeros) and multiplied by the filters, the result
 * written straight into the NCHW output. The backward passes run the two adjoint products per image:
 * ∂cols = wᵀ·∂y scattered back into ∂x (col2im), and ∂w += ∂y·colsᵀ with cols rebuilt rather than
 * kept from the forward pass (it is as large as the input times KH·KW). Each pass is one call of
 * conv_images (scripts/wasm/conv.mjs) per thread, over a range of images.
 */
import type { ConvGeometry, LinearActivation, Storage } from '../backend.js';
import type { Shape } from '../../tensor/shape.js';
import type { Kernels } from './loader.js';
import type { Parallel } from './parallel.js';
import type { WasmHeap } from './memory.js';
import type { WasmStorage } from './store.js';

/** What the kernels need from the backend: outputs, pointers and the allocator for scratch. */
export interface ConvContext {
  readonly k: Kernels;
  readonly parallel: Parallel;
  readonly heap: WasmHeap;
  outs(...sizes: number[]): WasmStorage[];
  p(x: Storage): number;
}

const enum Pass {
  Forward = 0,
  Input = 1,
  Weight = 2,
}

/**
 * Writes conv_images's parameter block (the order of CONV_PARAMS in scripts/wasm/conv.mjs: a, b, C,
 * H, W, O, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, G, bias, act) and runs the pass over all images
 * into c, which the pass overwrites. False when there is nothing to compute: c is then left for the
 * caller.
 */
function run(
  ctx: ConvContext,
  pass: Pass,
  [a, b, c]: number[],
  xShape: Shape,
  wShape: Shape,
  g: ConvGeometry,
  [bias, act]: [number, number] = [0, 0],
): boolean {
  const [N, C, H, W] = xShape;
  const [O, cg, KH, KW] = wShape;
  const [og, K, P] = [O / g.groups, cg * KH * KW, g.out[0] * g.out[1]];
  if (N === 0 || O === 0 || K === 0 || P === 0) return false;
  const words = [
    a,
    b,
    C,
    H,
    W,
    O,
    KH,
    KW,
    g.s[0],
    g.s[1],
    g.p[0],
    g.p[1],
    g.d[0],
    g.d[1],
    g.out[0],
    g.out[1],
    g.groups,
    bias,
    act,
  ];
  const prm = ctx.heap.alloc(4 * words.length);
  try {
    new Int32Array(ctx.heap.memory.buffer, prm, words.length).set(words);
    const [M, Ncols, Kdim] =
      pass === Pass.Forward ? [og, P, K] : pass === Pass.Input ? [K, P, og] : [og, K, P];
    const scratch = ctx.k.gemm_scratch_bytes(M, Ncols, Kdim);
    ctx.parallel.convImages(pass, prm, N, N * O * K * P, K * P, scratch, c, O * K);
  } finally {
    ctx.heap.free(prm, 4 * words.length);
  }
  return true;
}

/** Bits of conv_images's `act` word (CONV_ACT in scripts/wasm/conv.mjs). */
const ACT_BIAS = 1;
const ACT_RELU = 2;

export function conv2dForward(
  ctx: ConvContext,
  x: Storage,
  xShape: Shape,
  w: Storage,
  wShape: Shape,
  geom: ConvGeometry,
  bias: Storage | null,
  activation: LinearActivation,
): WasmStorage {
  const [out] = ctx.outs(xShape[0] * wShape[0] * geom.out[0] * geom.out[1]);
  const po = ctx.p(out);
  const act = (bias ? ACT_BIAS : 0) | (activation === 'relu' ? ACT_RELU : 0);
  const epilogue: [number, number] = [bias ? ctx.p(bias) : 0, act];
  if (!run(ctx, Pass.Forward, [ctx.p(x), ctx.p(w), po], xShape, wShape, geom, epilogue) && out.size > 0) {
    // An empty sum (no input channels) is zero: the output is then the bias (after the activation).
    ctx.k.fill(po, out.size, 0);
    if (act) {
      const [n, o, p] = [xShape[0], wShape[0], geom.out[0] * geom.out[1]];
      for (let i = 0; i < n; i++) ctx.k.bias_act(po + 4 * i * o * p, epilogue[0], o, p, act);
    }
  }
  return out;
}

export function conv2dBackwardInput(
  ctx: ConvContext,
  gy: Storage,
  w: Storage,
  xShape: Shape,
  wShape: Shape,
  geom: ConvGeometry,
): WasmStorage {
  const [dx] = ctx.outs(xShape.reduce((s, v) => s * v, 1));
  const pdx = ctx.p(dx);
  if (!run(ctx, Pass.Input, [ctx.p(gy), ctx.p(w), pdx], xShape, wShape, geom) && dx.size > 0) {
    ctx.k.fill(pdx, dx.size, 0);
  }
  return dx;
}

export function conv2dBackwardWeight(
  ctx: ConvContext,
  gy: Storage,
  x: Storage,
  xShape: Shape,
  wShape: Shape,
  geom: ConvGeometry,
): WasmStorage {
  const [dw] = ctx.outs(wShape.reduce((s, v) => s * v, 1));
  const pdw = ctx.p(dw);
  if (!run(ctx, Pass.Weight, [ctx.p(x), ctx.p(gy), pdw], xShape, wShape, geom) && dw.size > 0) {
    ctx.k.fill(pdw, dw.size, 0);
  }
  return dw;
}
