import type { ConvGeometry } from '../backend.js';
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import { PRELUDE, bind, entry, grid, grid1d } from './wgsl.js';

/**
 * Direct 2-D convolution kernels (float32, zero padding), so that a convolution needs no im2col
 * buffer on the device: the forward and ∂x give each output element a thread that walks its
 * window; ∂w sums over the batch and the output plane, a workgroup per weight element when that
 * sum is long. Parameter words (all kernels): the geometry below.
 */
const GEOMETRY = /* wgsl */ `
struct Geo { N: i32, C: i32, H: i32, W: i32, O: i32, CG: i32, KH: i32, KW: i32, OH: i32, OW: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OG: i32 }
fn geo() -> Geo {
  return Geo(pi(1u), pi(2u), pi(3u), pi(4u), pi(5u), pi(6u), pi(7u), pi(8u), pi(9u), pi(10u),
    pi(11u), pi(12u), pi(13u), pi(14u), pi(15u), pi(16u), pi(17u));
}
`;

function words(
  total: number,
  xShape: readonly number[],
  wShape: readonly number[],
  g: ConvGeometry,
): number[] {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  return [
    total,
    n,
    c,
    h,
    w,
    o,
    cg,
    kh,
    kw,
    g.out[0],
    g.out[1],
    g.s[0],
    g.s[1],
    g.p[0],
    g.p[1],
    g.d[0],
    g.d[1],
    o / g.groups,
  ];
}

/** y[n, o, i, j] = Σ over o's channel group and the window of x · w. */
export function conv2dKernel(
  rt: Runtime,
  x: GPUBufferLike,
  xShape: readonly number[],
  w: GPUBufferLike,
  wShape: readonly number[],
  g: ConvGeometry,
  out: GPUBufferLike,
): void {
  const total = xShape[0] * wShape[0] * g.out[0] * g.out[1];
  if (total === 0) return;
  const p = rt.pipeline('conv2d', () => {
    return `${PRELUDE}${GEOMETRY}${bind(1, 'x', 'f32')}${bind(2, 'w', 'f32')}${bind(3, 'y', 'f32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let G = geo();
  let e = i32(gid);
  let j = e % G.OW; let i = (e / G.OW) % G.OH; let o = (e / (G.OW * G.OH)) % G.O; let n = e / (G.OW * G.OH * G.O);
  let c0 = (o / G.OG) * G.CG;
  var acc = 0.0;
  for (var c = 0; c < G.CG; c++) {
    let xb = ((n * G.C + c0 + c) * G.H) * G.W;
    let wb = ((o * G.CG + c) * G.KH) * G.KW;
    for (var a = 0; a < G.KH; a++) {
      let r = i * G.sh - G.ph + a * G.dh;
      if (r < 0 || r >= G.H) { continue; }
      for (var b = 0; b < G.KW; b++) {
        let q = j * G.sw - G.pw + b * G.dw;
        if (q < 0 || q >= G.W) { continue; }
        acc += x[u32(xb + r * G.W + q)] * w[u32(wb + a * G.KW + b)];
      }
    }
  }
  y[gid] = acc;
}`;
  });
  rt.dispatch(p, [x, w, out], words(total, xShape, wShape, g), grid1d(total));
}

/** ∂x[n, c, h, v] = Σ over the outputs whose window covers (h, v) of ∂y · w. */
export function conv2dBackwardInputKernel(
  rt: Runtime,
  gy: GPUBufferLike,
  w: GPUBufferLike,
  xShape: readonly number[],
  wShape: readonly number[],
  g: ConvGeometry,
  out: GPUBufferLike,
): void {
  const total = xShape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const p = rt.pipeline('conv2dBackwardInput', () => {
    return `${PRELUDE}${GEOMETRY}${bind(1, 'gy', 'f32')}${bind(2, 'w', 'f32')}${bind(3, 'dx', 'f32', true)}
${entry()}
  if (gid >= pu(0u)) { return; }
  let G = geo();
  let e = i32(gid);
  let v = e % G.W; let h = (e / G.W) % G.H; let c = (e / (G.W * G.H)) % G.C; let n = e / (G.W * G.H * G.C);
  let grp = c / G.CG;
  let cw = c - grp * G.CG;
  var acc = 0.0;
  for (var a = 0; a < G.KH; a++) {
    // Output row i reads row h at tap a when i·sh = h + ph − a·dh.
    let ti = h + G.ph - a * G.dh;
    if (ti < 0 || ti % G.sh != 0 || ti / G.sh >= G.OH) { continue; }
    let i = ti / G.sh;
    for (var b = 0; b < G.KW; b++) {
      let tj = v + G.pw - b * G.dw;
      if (tj < 0 || tj % G.sw != 0 || tj / G.sw >= G.OW) { continue; }
      let j = tj / G.sw;
      for (var k = 0; k < G.OG; k++) {
        let o = grp * G.OG + k;
        acc += gy[u32(((n * G.O + o) * G.OH + i) * G.OW + j)] * w[u32(((o * G.CG + cw) * G.KH + a) * G.KW + b)];
      }
    }
  }
  dx[gid] = acc;
}`;
  });
  rt.dispatch(p, [gy, w, out], words(total, xShape, wShape, g), grid1d(total));
}

/** Threads per weight element when its sum is long. */
const WWG = 128;

/** ∂w[o, c, a, b] = Σ over the batch and the output plane of ∂y · x under that tap. */
export function conv2dBackwardWeightKernel(
  rt: Runtime,
  gy: GPUBufferLike,
  x: GPUBufferLike,
  xShape: readonly number[],
  wShape: readonly number[],
  g: ConvGeometry,
  out: GPUBufferLike,
): void {
  const total = wShape.reduce((a, b) => a * b, 1);
  const len = xShape[0] * g.out[0] * g.out[1];
  if (total === 0) return;
  const wide = len >= 1024;
  const p = rt.pipeline(`conv2dBackwardWeight:${wide}`, () => {
    const sum = `
  let G = geo();
  let b = e % G.KW; let a = (e / G.KW) % G.KH; let c = (e / (G.KW * G.KH)) % G.CG; let o = e / (G.KW * G.KH * G.CG);
  let cx = (o / G.OG) * G.CG + c;
  var acc = 0.0;
  for (var t = START; t < G.N * G.OH * G.OW; t += STEP) {
    let j = t % G.OW; let i = (t / G.OW) % G.OH; let n = t / (G.OW * G.OH);
    let r = i * G.sh - G.ph + a * G.dh;
    let q = j * G.sw - G.pw + b * G.dw;
    if (r < 0 || r >= G.H || q < 0 || q >= G.W) { continue; }
    acc += gy[u32(((n * G.O + o) * G.OH + i) * G.OW + j)] * x[u32(((n * G.C + cx) * G.H + r) * G.W + q)];
  }`;
    const head = `${PRELUDE}${GEOMETRY}${bind(1, 'gy', 'f32')}${bind(2, 'x', 'f32')}${bind(3, 'dw', 'f32', true)}`;
    if (!wide) {
      return `${head}
${entry()}
  if (gid >= pu(0u)) { return; }
  let e = i32(gid);
  ${sum.replace('START', '0').replace('STEP', '1')}
  dw[gid] = acc;
}`;
    }
    return `${head}var<workgroup> sh: array<f32, ${WWG}>;
${entry(WWG)}
  if (group >= pu(0u)) { return; }
  let e = i32(group);
  ${sum.replace('START', 'i32(lid)').replace('STEP', `${WWG}`)}
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = ${WWG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] += sh[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { dw[group] = sh[0]; }
}`;
  });
  rt.dispatch(p, [gy, x, out], words(total, xShape, wShape, g), wide ? grid(total) : grid1d(total));
}
