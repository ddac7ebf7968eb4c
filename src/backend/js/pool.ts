import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import type { PoolWindow } from '../backend.js';

/**
 * Max pooling of [N, C, H, W]: values[i] = the maximum of window i, indices[i] = its position
 * h·W + w in the input plane (the first maximum; a NaN wins, the last NaN of a window, as in PyTorch's
 * `val > max || isnan(val)`). Padding is skipped.
 */
export function maxPool2dLoop(
  x: TypedArray,
  shape: Shape,
  w: PoolWindow,
  values: TypedArray,
  indices: Int32Array,
): void {
  const [n, c, h, wd] = shape;
  const [oh, ow] = w.out;
  const [kh, kw] = w.k;
  const [sh, sw] = w.s;
  const [ph, pw] = w.p;
  const [dh, dw] = w.d;
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * wd;
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - ph;
      for (let j = 0; j < ow; j++, o++) {
        const c0 = j * sw - pw;
        let best = -Infinity;
        let at = -1;
        for (let a = 0; a < kh; a++) {
          const r = r0 + a * dh;
          if (r < 0 || r >= h) continue;
          for (let b = 0; b < kw; b++) {
            const col = c0 + b * dw;
            if (col < 0 || col >= wd) continue;
            const v = x[base + r * wd + col];
            if (v > best || at < 0 || v !== v) {
              best = v;
              at = r * wd + col;
            }
          }
        }
        values[o] = best;
        indices[o] = at;
      }
    }
  }
}

/**
 * Max pooling's backward: gx (zeroed here) of [planes, HW] gets g[o] added at position indices[o] of
 * its plane, for the P outputs of each plane. Returns the first bad flat output index, or -1.
 */
export function maxPool2dBackwardLoop(
  g: TypedArray,
  indices: Int32Array,
  gx: TypedArray,
  planes: number,
  HW: number,
  P: number,
): number {
  gx.fill(0);
  for (let plane = 0, o = 0; plane < planes; plane++) {
    const base = plane * HW;
    for (let j = 0; j < P; j++, o++) {
      const at = indices[o];
      if (!(at >= 0 && at < HW)) return o;
      gx[base + at] += g[o];
    }
  }
  return -1;
}
