import type { DType } from '../../tensor/dtype.js';
import { broadcastStrides } from '../js/elementwise.js';
import type { GPUBufferLike } from './gpu-types.js';
import type { Runtime } from './runtime.js';
import { PRELUDE, bind, entry, grid1d, mergeDims, walkCode, walkWords, wgslType } from './wgsl.js';

/**
 * Batched C = op(A)·op(B), a tiled GEMM: a workgroup of 16×16 threads computes a T×T tile of C
 * (T = 16·R), R×R outputs per thread held in registers as vec4 rows, stepping through K in slabs
 * of depth 1024/T that the workgroup first stages in shared memory, so that each element of A and
 * B is read from the buffer once per tile instead of once per output. R = 8 for large products
 * (more arithmetic per shared-memory load), 4 otherwise (more workgroups to fill the device). The
 * transposes only change how the slabs are loaded; the third grid dimension walks the batch.
 */
function gemmCode(t: string, transA: boolean, transB: boolean, R: number): string {
  const T = 16 * R;
  const TK = 1024 / T;
  const aAt = transA ? 'aOff + k * M + m' : 'aOff + m * K + k';
  const bAt = transB ? 'bOff + n * K + k2' : 'bOff + k2 * N + n';
  const rows = [...Array(R).keys()];
  const quads = [...Array(R / 4).keys()];
  const accs = rows.flatMap((i) => quads.map((c) => `var acc${i}_${c} = vec4<${t}>();`)).join(' ');
  const bLoads = quads
    .map((c) => {
      const o = `kk * ${T}u + l.x * ${R}u + ${4 * c}u`;
      return `let b${c} = vec4<${t}>(Bs[${o}], Bs[${o} + 1u], Bs[${o} + 2u], Bs[${o} + 3u]);`;
    })
    .join('\n      ');
  const fmas = rows
    .map(
      (i) =>
        `{ let a = As[kk * ${T}u + l.y * ${R}u + ${i}u]; ${quads.map((c) => `acc${i}_${c} += a * b${c};`).join(' ')} }`,
    )
    .join('\n      ');
  const stores = rows
    .map((i) =>
      quads
        .map((c) =>
          [0, 1, 2, 3]
            .map(
              (j) =>
                `if (m${i} < M && col + ${4 * c + j}u < N) { C[cOff + m${i} * N + col + ${4 * c + j}u] = acc${i}_${c}[${j}]; }`,
            )
            .join('\n  '),
        )
        .join('\n  '),
    )
    .join('\n  ');
  const rowDecl = rows.map((i) => `let m${i} = row0 + l.y * ${R}u + ${i}u;`).join(' ');
  return `${PRELUDE}${bind(1, 'A', t)}${bind(2, 'B', t)}${bind(3, 'C', t, true)}
var<workgroup> As: array<${t}, 1024>;
var<workgroup> Bs: array<${t}, 1024>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) l: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let M = pu(0u); let N = pu(1u); let K = pu(2u);
  let batch = wid.z + pu(4u);
  ${walkCode('batch', 3, 8, ['ab', 'bb'])}
  let aOff = u32(ab); let bOff = u32(bb);
  let row0 = wid.y * ${T}u; let col0 = wid.x * ${T}u;
  ${accs}
  for (var k0 = 0u; k0 < K; k0 += ${TK}u) {
    for (var e = lid; e < 1024u; e += 256u) {
      // As and Bs are k-major (As[kk * T + mm]); consecutive threads read consecutive addresses.
      let kk = ${transA ? `e / ${T}u` : `e % ${TK}u`}; let mm = ${transA ? `e % ${T}u` : `e / ${TK}u`};
      let m = row0 + mm; let k = k0 + kk;
      As[kk * ${T}u + mm] = select(${t}(0), A[${aAt}], m < M && k < K);
      let kb = ${transB ? `e % ${TK}u` : `e / ${T}u`}; let nn = ${transB ? `e / ${TK}u` : `e % ${T}u`};
      let n = col0 + nn; let k2 = k0 + kb;
      Bs[kb * ${T}u + nn] = select(${t}(0), B[${bAt}], n < N && k2 < K);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      ${bLoads}
      ${fmas}
    }
    workgroupBarrier();
  }
  let cOff = batch * M * N;
  let col = col0 + l.x * ${R}u;
  ${rowDecl}
  ${stores}
}`;
}

/**
 * The same product with one thread per output and no shared memory: for small or skinny products
 * (matrix-vector, tiny layers), where a 64×64 tile would leave most threads idle and its barriers
 * cost more than they save.
 */
function directCode(t: string, transA: boolean, transB: boolean): string {
  const aAt = transA ? 'aOff + k * M + m' : 'aOff + m * K + k';
  const bAt = transB ? 'bOff + n * K + k' : 'bOff + k * N + n';
  return `${PRELUDE}${bind(1, 'A', t)}${bind(2, 'B', t)}${bind(3, 'C', t, true)}
${entry()}
  let M = pu(0u); let N = pu(1u); let K = pu(2u);
  if (gid >= M * N) { return; }
  let batch = wid.z + pu(4u);
  ${walkCode('batch', 3, 8, ['ab', 'bb'])}
  let aOff = u32(ab); let bOff = u32(bb);
  let m = gid / N; let n = gid % N;
  var acc: ${t} = ${t}(0);
  for (var k = 0u; k < K; k++) { acc += A[${aAt}] * B[${bAt}]; }
  C[batch * M * N + gid] = acc;
}`;
}

/** Products up to this many multiply-adds, or with a side below 16, take the direct kernel. */
const DIRECT_WORK = 2 ** 21;

export function matmulKernel(
  rt: Runtime,
  a: GPUBufferLike,
  aShape: readonly number[],
  b: GPUBufferLike,
  bShape: readonly number[],
  transA: boolean,
  transB: boolean,
  dtype: DType,
  out: GPUBufferLike,
  outShape: readonly number[],
): void {
  const na = aShape.length;
  const nb = bShape.length;
  const M = transA ? aShape[na - 1] : aShape[na - 2];
  const K = transA ? aShape[na - 2] : aShape[na - 1];
  const N = transB ? bShape[nb - 2] : bShape[nb - 1];
  const batchShape = outShape.slice(0, -2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  if (M * N * batches === 0) return;
  const aSt = broadcastStrides(aShape.slice(0, -2), batchShape).map((s) => s * M * K);
  const bSt = broadcastStrides(bShape.slice(0, -2), batchShape).map((s) => s * K * N);
  const [dims, [sa, sb]] = mergeDims(batchShape, [aSt, bSt]);
  const direct = M * N * K * batches <= DIRECT_WORK || M < 16 || N < 16;
  // 128-wide tiles once they still make a few hundred workgroups.
  const R = M * N * batches >= 2 ** 22 ? 8 : 4;
  const p = rt.pipeline(`matmul:${dtype}:${transA}:${transB}:${direct ? 'direct' : R}`, () =>
    direct ? directCode(wgslType(dtype), transA, transB) : gemmCode(wgslType(dtype), transA, transB, R),
  );
  const [gx, gy] = direct ? grid1d(M * N) : [Math.ceil(N / (16 * R)), Math.ceil(M / (16 * R))];
  // The grid's z dimension holds at most 65535 batches: larger batches take several dispatches.
  for (let start = 0; start < batches; start += 65535) {
    const words = [M, N, K, dims.length, start, 0, 0, 0, ...walkWords('matmul', dims, [sa, sb])];
    rt.dispatch(p, [a, b, out], words, [gx, gy, Math.min(65535, batches - start)]);
  }
}
