import type { TypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf } from '../../tensor/shape.js';
import { broadcastLoop, broadcastStrides } from './elementwise.js';

/**
 * Batched C = op(A)·op(B) with broadcast batch dims. The i-k-j order streams rows of B and C
 * (cache friendly); with B transposed, the i-j-k order streams rows of A and B instead.
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
  const matA = M * K;
  const matB = K * N;
  const matC = M * N;
  // Row/column strides of op(A) and op(B).
  const ars = transA ? 1 : K;
  const acs = transA ? M : 1;
  const brs = transB ? 1 : N;
  const bcs = transB ? K : 1;
  const aBatch = broadcastStrides(aShape.slice(0, -2), batchShape).map((s) => s * matA);
  const bBatch = broadcastStrides(bShape.slice(0, -2), batchShape).map((s) => s * matB);
  const acc = new Float64Array(N);
  const one = (c0: number, a0: number, b0: number) => {
    if (bcs === 1) {
      for (let i = 0; i < M; i++) {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const aik = a[a0 + i * ars + k * acs];
          const bRow = b0 + k * brs;
          for (let j = 0; j < N; j++) acc[j] += aik * b[bRow + j];
        }
        const cRow = c0 + i * N;
        for (let j = 0; j < N; j++) out[cRow + j] = acc[j];
      }
    } else {
      for (let i = 0; i < M; i++) {
        const aRow = a0 + i * ars;
        for (let j = 0; j < N; j++) {
          const bCol = b0 + j * bcs;
          let s = 0;
          for (let k = 0; k < K; k++) s += a[aRow + k * acs] * b[bCol + k * brs];
          out[c0 + i * N + j] = s;
        }
      }
    }
  };
  if (batchShape.length === 0) {
    one(0, 0, 0);
    return;
  }
  if (sizeOf(batchShape) === 0) return;
  broadcastLoop(batchShape, [aBatch, bBatch], (o, ia, ib) => one(o * matC, ia, ib));
}
