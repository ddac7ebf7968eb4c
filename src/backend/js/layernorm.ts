import type { TypedArray } from '../../tensor/dtype.js';

/**
 * Layer norm of rows × cols values (the reference for the wasm kernels): per row the mean, the biased
 * variance by a second pass, rstd = 1/√(var + eps), y = (x − mean)·rstd·w[j] + b[j].
 */
export function layerNormLoop(
  x: TypedArray,
  rows: number,
  cols: number,
  w: TypedArray | null,
  b: TypedArray | null,
  eps: number,
  y: TypedArray,
  mean: TypedArray,
  rstd: TypedArray,
): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[o + j];
    const m = s / cols;
    let q = 0;
    for (let j = 0; j < cols; j++) q += (x[o + j] - m) * (x[o + j] - m);
    const rs = 1 / Math.sqrt(q / cols + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      let v = (x[o + j] - m) * rs;
      if (w) v *= w[j];
      if (b) v += b[j];
      y[o + j] = v;
    }
  }
}

/**
 * Its backward: dx = rstd·(ĝ − Σĝ/n − x̂·Σĝx̂/n) per row with ĝ = g·w[j], x̂ = (x − mean)·rstd; dw and db
 * (when given) get Σ_rows g·x̂ and Σ_rows g.
 */
export function layerNormBackwardLoop(
  g: TypedArray,
  x: TypedArray,
  mean: TypedArray,
  rstd: TypedArray,
  w: TypedArray | null,
  rows: number,
  cols: number,
  dx: TypedArray,
  dw: TypedArray | null,
  db: TypedArray | null,
): void {
  dw?.fill(0);
  db?.fill(0);
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const [m, rs] = [mean[r], rstd[r]];
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < cols; j++) {
      const gh = w ? g[o + j] * w[j] : g[o + j];
      s1 += gh;
      s2 += gh * (x[o + j] - m) * rs;
    }
    const [c1, c2] = [s1 / cols, s2 / cols];
    for (let j = 0; j < cols; j++) {
      const xh = (x[o + j] - m) * rs;
      const gh = w ? g[o + j] * w[j] : g[o + j];
      dx[o + j] = rs * (gh - c1 - xh * c2);
      if (dw) dw[j] += g[o + j] * xh;
      if (db) db[j] += g[o + j];
    }
  }
}
