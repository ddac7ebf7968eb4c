/**
 * Convolution kernels of the wasm backend: one image at a time, its receptive fields gathered into a
 * matrix that stays in cache (im2col, padding read as zeros) and multiplied by the filters, the result
 * written straight into the NCHW output. The backward passes run the two adjoint products per image:
 * ∂cols = wᵀ·∂y scattered back into ∂x (col2im), and ∂w += ∂y·colsᵀ with cols rebuilt rather than
 * kept from the forward pass (it is as large as the input times KH·KW).
 */
import type { ConvGeometry, Storage } from '../backend.js';
import type { Shape } from '../../tensor/shape.js';
import type { Kernels } from './loader.js';
import type { Parallel } from './parallel.js';
import type { WasmStorage } from './store.js';

/** What the kernels need from the backend: outputs, pointers and early release of scratch. */
export interface ConvContext {
  readonly k: Kernels;
  readonly parallel: Parallel;
  outs(...sizes: number[]): WasmStorage[];
  p(x: Storage): number;
  release(x: WasmStorage): void;
}

interface Dims {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  /** Input and output channels per group. */
  cg: number;
  og: number;
  /** Rows of the column matrix (cg·KH·KW) and output positions per image (OH·OW). */
  K: number;
  P: number;
}

function dims(xShape: Shape, wShape: Shape, geom: ConvGeometry): Dims {
  const [N, C, H, W] = xShape;
  const [O, cg, KH, KW] = wShape;
  return { N, C, H, W, O, cg, og: O / geom.groups, K: cg * KH * KW, P: geom.out[0] * geom.out[1] };
}

/** The im2col/col2im arguments after (img, mat, ld): the geometry. */
function geometryArgs(d: Dims, wShape: Shape, g: ConvGeometry): number[] {
  return [
    d.cg,
    d.H,
    d.W,
    wShape[2],
    wShape[3],
    g.s[0],
    g.s[1],
    g.p[0],
    g.p[1],
    g.d[0],
    g.d[1],
    g.out[0],
    g.out[1],
  ];
}

export function conv2dForward(
  ctx: ConvContext,
  x: Storage,
  xShape: Shape,
  w: Storage,
  wShape: Shape,
  geom: ConvGeometry,
): WasmStorage {
  const d = dims(xShape, wShape, geom);
  const [out, cols] = ctx.outs(d.N * d.O * d.P, d.K * d.P);
  const [po, pc, px, pw] = [ctx.p(out), ctx.p(cols), ctx.p(x), ctx.p(w)];
  const args = geometryArgs(d, wShape, geom);
  if (out.size > 0 && d.K > 0) {
    for (let n = 0; n < d.N; n++) {
      for (let g = 0; g < geom.groups; g++) {
        ctx.k.im2col(px + 4 * (n * d.C + g * d.cg) * d.H * d.W, pc, d.P, ...args);
        const y = po + 4 * (n * d.O + g * d.og) * d.P;
        ctx.parallel.gemm(pw + 4 * g * d.og * d.K, pc, y, d.og, d.P, d.K, 0, 0);
      }
    }
  } else if (out.size > 0) {
    ctx.k.fill(po, out.size, 0);
  }
  ctx.release(cols);
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
  const d = dims(xShape, wShape, geom);
  const [dx, cols] = ctx.outs(d.N * d.C * d.H * d.W, d.K * d.P);
  const [pdx, pc, pg, pw] = [ctx.p(dx), ctx.p(cols), ctx.p(gy), ctx.p(w)];
  if (dx.size > 0) ctx.k.fill(pdx, dx.size, 0);
  const args = geometryArgs(d, wShape, geom);
  if (d.P > 0 && d.og > 0) {
    for (let n = 0; n < d.N; n++) {
      for (let g = 0; g < geom.groups; g++) {
        const gyPtr = pg + 4 * (n * d.O + g * d.og) * d.P;
        ctx.parallel.gemm(pw + 4 * g * d.og * d.K, gyPtr, pc, d.K, d.P, d.og, 1, 0);
        ctx.k.col2im(pdx + 4 * (n * d.C + g * d.cg) * d.H * d.W, pc, d.P, ...args);
      }
    }
  }
  ctx.release(cols);
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
  const d = dims(xShape, wShape, geom);
  const [dw, cols] = ctx.outs(d.O * d.K, d.K * d.P);
  const [pdw, pc, pg, px] = [ctx.p(dw), ctx.p(cols), ctx.p(gy), ctx.p(x)];
  if (dw.size > 0) ctx.k.fill(pdw, dw.size, 0);
  const args = geometryArgs(d, wShape, geom);
  if (dw.size > 0 && d.P > 0) {
    for (let n = 0; n < d.N; n++) {
      for (let g = 0; g < geom.groups; g++) {
        ctx.k.im2col(px + 4 * (n * d.C + g * d.cg) * d.H * d.W, pc, d.P, ...args);
        const gyPtr = pg + 4 * (n * d.O + g * d.og) * d.P;
        ctx.parallel.gemm(gyPtr, pc, pdw + 4 * g * d.og * d.K, d.og, d.K, d.P, 0, 1, 1);
      }
    }
  }
  ctx.release(cols);
  return dw;
}
