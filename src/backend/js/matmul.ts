import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf } from '../../tensor/shape.js';
import { broadcastLoop, broadcastStrides } from './elementwise.js';

/**
 * Batched C = op(A)·op(B) with broadcast batch dims. Each operand is first copied into a plain
 * row-major panel (transposing on the way when its flag is set), then a four-row i-k-j loop streams
 * rows of B and C: each B element loaded is used for four rows of C.
 */
export function matmulLoop(
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  transA: boolean,
  transB: boolean,
  outShape: Shape,
  out: TypedArray,
): void {
  const na = aShape.length;
  const nb = bShape.length;
  const M = transA ? aShape[na - 1] : aShape[na - 2];
  const K = transA ? aShape[na - 2] : aShape[na - 1];
  const N = transB ? bShape[nb - 2] : bShape[nb - 1];
  const batchShape = outShape.slice(0, -2);
  const aPanel = new Float64Array(M * K);
  const bPanel = new Float64Array(K * N);
  const acc = new Float64Array(4 * N);
  const one = (c0: number, a0: number, b0: number) => {
    pack(a, a0, M, K, transA, aPanel);
    pack(b, b0, K, N, transB, bPanel);
    gemm(aPanel, bPanel, M, K, N, acc, out, c0);
  };
  if (batchShape.length === 0) {
    one(0, 0, 0);
    return;
  }
  if (sizeOf(batchShape) === 0) return;
  const aBatch = broadcastStrides(aShape.slice(0, -2), batchShape).map((s) => s * M * K);
  const bBatch = broadcastStrides(bShape.slice(0, -2), batchShape).map((s) => s * K * N);
  broadcastLoop(batchShape, [aBatch, bBatch], (o, ia, ib) => one(o * M * N, ia, ib));
}

/** Copies the rows × cols matrix op(src) (src stored transposed when trans) into a row-major panel. */
function pack(
  src: TypedArray,
  offset: number,
  rows: number,
  cols: number,
  trans: boolean,
  panel: Float64Array,
): void {
  if (!trans) {
    for (let i = 0; i < rows * cols; i++) panel[i] = src[offset + i];
    return;
  }
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) panel[r * cols + c] = src[offset + c * rows + r];
}

function gemm(
  A: Float64Array,
  B: Float64Array,
  M: number,
  K: number,
  N: number,
  acc: Float64Array,
  out: TypedArray,
  c0: number,
): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    acc.fill(0);
    const a0 = i * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    for (let k = 0; k < K; k++) {
      const x0 = A[a0 + k];
      const x1 = A[a1 + k];
      const x2 = A[a2 + k];
      const x3 = A[a3 + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) {
        const y = B[bo + j];
        acc[j] += x0 * y;
        acc[N + j] += x1 * y;
        acc[2 * N + j] += x2 * y;
        acc[3 * N + j] += x3 * y;
      }
    }
    const o = c0 + i * N;
    for (let j = 0; j < 4 * N; j++) out[o + j] = acc[j];
  }
  for (; i < M; i++) {
    acc.fill(0, 0, N);
    for (let k = 0; k < K; k++) {
      const x = A[i * K + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) acc[j] += x * B[bo + j];
    }
    const o = c0 + i * N;
    for (let j = 0; j < N; j++) out[o + j] = acc[j];
  }
}
