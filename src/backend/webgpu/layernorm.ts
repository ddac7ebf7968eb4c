/**
 * Layer-norm kernels: a workgroup per row for the statistics, the normalization and ∂x (tree sums in
 * workgroup memory, two passes as the reference: the mean, then Σ(x − μ)²), and a thread per column for
 * ∂γ and ∂β (each sums its column over the rows in order).
 */
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import { PRELUDE, bind, entry, f32Bits, grid, grid1d, treeSum } from './wgsl.js';

/** Threads per row. */
const RWG = 256;

/** WGSL: a loop over the row's columns j (element `at`), strided over the workgroup. */
const ROW_LOOP = (body: string) => `
  for (var j = lid; j < cols; j += ${RWG}u) {
    let at = r * cols + j;
    ${body}
  }`;

const sumOf = (v: string, total: string): string => treeSum(v, total, RWG);

const ROW_HEAD = `var<workgroup> sh: array<f32, ${RWG}>;
${entry(RWG)}
  let r = group;
  let rows = pu(0u); let cols = pu(1u);
  if (r >= rows) { return; }
  let n = f32(cols);`;

/**
 * y = (x − μ)·rstd·w + b per row of `cols` floats, with mean[r] = μ and rstd[r] = 1/√(σ² + eps)
 * (biased σ²); w and b optional.
 */
export function layerNormKernel(
  rt: Runtime,
  bufs: { x: GPUBufferLike; y: GPUBufferLike; mean: GPUBufferLike; rstd: GPUBufferLike },
  w: GPUBufferLike | null,
  b: GPUBufferLike | null,
  rows: number,
  cols: number,
  eps: number,
): void {
  if (rows * cols === 0) return;
  const p = rt.pipeline(`layerNorm:${w !== null}:${b !== null}`, () => {
    return `${PRELUDE}${bind(1, 'x', 'f32')}${bind(2, 'y', 'f32', true)}${bind(3, 'mean', 'f32', true)}${bind(4, 'rs', 'f32', true)}${w ? bind(5, 'w', 'f32') : ''}${b ? bind(w ? 6 : 5, 'b', 'f32') : ''}
${ROW_HEAD}
  var s = 0.0;
  ${ROW_LOOP('s += x[at];')}
  ${sumOf('s', 'total')}
  let mu = total / n;
  var q = 0.0;
  ${ROW_LOOP('let d = x[at] - mu; q += d * d;')}
  ${sumOf('q', 'sq')}
  let rstd = 1.0 / sqrt(sq / n + pf(2u));
  if (lid == 0u) { mean[r] = mu; rs[r] = rstd; }
  ${ROW_LOOP(`var v = (x[at] - mu) * rstd;${w ? ' v = v * w[j];' : ''}${b ? ' v = v + b[j];' : ''} y[at] = v;`)}
}`;
  });
  const list = [bufs.x, bufs.y, bufs.mean, bufs.rstd, ...(w ? [w] : []), ...(b ? [b] : [])];
  rt.dispatch(p, list, [rows, cols, f32Bits(eps)], grid(rows));
}

/** ∂x per row: rstd·(ĝ − Σĝ/n − x̂·Σĝx̂/n), ĝ = g·w (or g), x̂ = (x − μ)·rstd. */
export function layerNormBackwardKernel(
  rt: Runtime,
  bufs: { g: GPUBufferLike; x: GPUBufferLike; mean: GPUBufferLike; rstd: GPUBufferLike; dx: GPUBufferLike },
  w: GPUBufferLike | null,
  rows: number,
  cols: number,
): void {
  if (rows * cols === 0) return;
  const gh = w ? 'g[at] * w[j]' : 'g[at]';
  const p = rt.pipeline(`layerNormBackward:${w !== null}`, () => {
    return `${PRELUDE}${bind(1, 'g', 'f32')}${bind(2, 'x', 'f32')}${bind(3, 'mean', 'f32')}${bind(4, 'rs', 'f32')}${bind(5, 'dx', 'f32', true)}${w ? bind(6, 'w', 'f32') : ''}
${ROW_HEAD}
  let mu = mean[r]; let rstd = rs[r];
  var s1 = 0.0; var s2 = 0.0;
  ${ROW_LOOP(`let gh = ${gh}; s1 += gh; s2 += gh * (x[at] - mu) * rstd;`)}
  ${sumOf('s1', 't1')}
  ${sumOf('s2', 't2')}
  let c1 = t1 / n; let c2 = t2 / n;
  ${ROW_LOOP(`dx[at] = rstd * (${gh} - c1 - (x[at] - mu) * rstd * c2);`)}
}`;
  });
  const list = [bufs.g, bufs.x, bufs.mean, bufs.rstd, bufs.dx, ...(w ? [w] : [])];
  rt.dispatch(p, list, [rows, cols], grid(rows));
}

/** dw[j] = Σ_r g·x̂ and db[j] = Σ_r g, a thread per column j. */
export function layerNormParamsKernel(
  rt: Runtime,
  bufs: { g: GPUBufferLike; x: GPUBufferLike; mean: GPUBufferLike; rstd: GPUBufferLike },
  dw: GPUBufferLike,
  db: GPUBufferLike,
  rows: number,
  cols: number,
): void {
  if (cols === 0) return;
  const p = rt.pipeline('layerNormParams', () => {
    return `${PRELUDE}${bind(1, 'g', 'f32')}${bind(2, 'x', 'f32')}${bind(3, 'mean', 'f32')}${bind(4, 'rs', 'f32')}${bind(5, 'dw', 'f32', true)}${bind(6, 'db', 'f32', true)}
${entry()}
  let rows = pu(0u); let cols = pu(1u);
  if (gid >= cols) { return; }
  var sw = 0.0; var sb = 0.0;
  for (var r = 0u; r < rows; r++) {
    let at = r * cols + gid;
    let gi = g[at];
    sw += gi * (x[at] - mean[r]) * rs[r];
    sb += gi;
  }
  dw[gid] = sw;
  db[gid] = sb;
}`;
  });
  rt.dispatch(p, [bufs.g, bufs.x, bufs.mean, bufs.rstd, dw, db], [rows, cols], grid1d(cols));
}
