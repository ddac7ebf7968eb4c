import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import type { PoolWindow } from '../backend.js';

/**
 * Max pooling of [N, C, H, W]: values[i] = the maximum of window i, indices[i] = its position
 * h·W + w in the input plane (the first maximum; a NaN wins, as in PyTorch). Padding is skipped.
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
            if (v > best || at < 0 || (v !== v && best === best)) {
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
