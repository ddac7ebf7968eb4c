/**
 * Op-level sweep, in the page: public ops and layers run forward and backward on the reference
 * backend and on WebGPU from the same inputs; outputs and input gradients must agree. Checks the
 * ops' composition of kernels (views, broadcasting, index ops, conv via im2col) on the device.
 */
import type { Tensor } from '../../src/index.js';
import * as L from '../../src/index.js';
import { mismatch, randoms, record, size } from './harness.js';

const F = L.nn.functional;

interface Case {
  name: string;
  /** Float inputs (shapes), all requiring gradients. */
  shapes: number[][];
  fn: (xs: Tensor[]) => Tensor;
  tol?: number;
}

const labels = (n: number, classes: number) => Int32Array.from(randoms(n, 9, 0, classes), Math.floor);

const CASES: Case[] = [
  { name: 'softmax', shapes: [[4, 7]], fn: ([x]) => L.softmax(x, 1) },
  { name: 'logSoftmax dim 0', shapes: [[5, 3]], fn: ([x]) => L.logSoftmax(x, 0) },
  { name: 'logsumexp', shapes: [[3, 4, 5]], fn: ([x]) => L.logsumexp(x, [0, 2]) },
  {
    name: 'gelu, silu, softplus',
    shapes: [[40]],
    fn: ([x]) => L.add(L.add(L.gelu(x), L.silu(x)), L.softplus(x)),
  },
  {
    name: 'elu, leakyRelu, hardtanh',
    shapes: [[40]],
    fn: ([x]) => L.add(L.add(L.elu(x), L.leakyRelu(x)), L.hardtanh(x)),
  },
  {
    name: 'mean, var, std',
    shapes: [[6, 5]],
    fn: ([x]) => L.add(L.add(L.mean(x, 1), L.var(x, 1)), L.std(x, 1)),
  },
  {
    name: 'amax, amin over dims',
    shapes: [[4, 3, 5]],
    fn: ([x]) => L.add(L.amax(x, [0, 2]), L.amin(x, [0, 2])),
  },
  { name: 'norm', shapes: [[7, 3]], fn: ([x]) => L.norm(x, 2, 0) },
  { name: 'cumsum, cumprod', shapes: [[4, 6]], fn: ([x]) => L.add(L.cumsum(x, 1), L.cumprod(x, 0)) },
  { name: 'sort values', shapes: [[5, 8]], fn: ([x]) => L.sort(x, 1)[0] },
  { name: 'topk values', shapes: [[6, 9]], fn: ([x]) => L.topk(x, 3, 1)[0] },
  {
    name: 'matmul batched, broadcast',
    shapes: [
      [2, 1, 3, 4],
      [5, 4, 6],
    ],
    fn: ([a, b]) => L.matmul(a, b),
  },
  {
    name: 'transpose, permute, reshape',
    shapes: [[2, 3, 4]],
    fn: ([x]) => L.reshape(L.permute(L.transpose(x, 0, 2), [1, 0, 2]), [6, 4]),
  },
  {
    name: 'slice, narrow, flip, select',
    shapes: [[6, 5]],
    fn: ([x]) => L.add(L.flip(L.narrow(x, 0, 1, 4), [1]), L.select(x, 0, 2)),
  },
  {
    name: 'expand, broadcast',
    shapes: [
      [3, 1],
      [1, 4],
    ],
    fn: ([a, b]) => L.mul(L.expand(a, [3, 4]), b),
  },
  {
    name: 'cat, stack, split',
    shapes: [
      [2, 3],
      [4, 3],
    ],
    fn: ([a, b]) => L.stack(L.split(L.cat([a, b], 0), 3, 0), 0),
  },
  { name: 'pad, repeat, tril', shapes: [[3, 3]], fn: ([x]) => L.tril(L.repeat(L.pad(x, [1, 1]), [2, 1])) },
  {
    name: 'gather, scatterAdd, indexSelect',
    shapes: [[4, 5]],
    fn: ([x]) => {
      const idx = L.tensor(Int32Array.from([0, 3, 3, 1, 2, 0, 4, 4]), { shape: [4, 2] });
      return L.add(
        L.scatterAdd(L.zerosLike(x), 1, idx, L.gather(x, 1, idx)),
        L.indexSelect(x, 0, L.tensor(Int32Array.from([3, 0, 3, 1]))),
      );
    },
  },
  {
    name: 'where, maskedFill',
    shapes: [
      [4, 4],
      [4, 4],
    ],
    fn: ([a, b]) => L.maskedFill(L.where(L.gt(a, b), a, b), L.lt(a, -0.5), 0),
  },
  {
    name: 'pow, div, sqrt, log, exp',
    shapes: [[20], [20]],
    fn: ([a, b]) => L.add(L.div(L.pow(L.abs(a), 1.5), L.add(L.exp(b), 1)), L.log(L.add(L.sqrt(L.abs(b)), 1))),
  },
  { name: 'layerNorm', shapes: [[4, 6], [6], [6]], fn: ([x, w, b]) => F.layerNorm(x, [6], w, b) },
  {
    name: 'batchNorm training',
    shapes: [[5, 3, 4], [3], [3]],
    fn: ([x, w, b]) => F.batchNorm(x, null, null, w, b, true),
  },
  {
    name: 'embedding',
    shapes: [[10, 4]],
    fn: ([w]) => F.embedding(L.tensor(Int32Array.from([1, 5, 5, 9, 0, 1]), { shape: [2, 3] }), w),
  },
  { name: 'crossEntropy', shapes: [[8, 5]], fn: ([x]) => F.crossEntropy(x, L.tensor(labels(8, 5))) },
  {
    name: 'crossEntropy label smoothing',
    shapes: [[8, 5]],
    fn: ([x]) => F.crossEntropy(x, L.tensor(labels(8, 5)), { labelSmoothing: 0.1 }),
  },
  {
    name: 'mseLoss, l1Loss, smoothL1Loss',
    shapes: [[12], [12]],
    fn: ([a, b]) => L.add(L.add(F.mseLoss(a, b), F.l1Loss(a, b)), F.smoothL1Loss(a, b)),
  },
  {
    name: 'binaryCrossEntropyWithLogits',
    shapes: [[10]],
    fn: ([x]) => F.binaryCrossEntropyWithLogits(x, L.tensor(Float32Array.from(labels(10, 2)))),
  },
  {
    name: 'conv2d',
    shapes: [[2, 3, 7, 6], [4, 3, 3, 2], [4]],
    fn: ([x, w, b]) => F.conv2d(x, w, b, [2, 1], 1),
  },
  {
    name: 'conv2d groups, dilation',
    shapes: [
      [1, 4, 8, 8],
      [6, 2, 3, 3],
    ],
    fn: ([x, w]) => F.conv2d(x, w, null, 1, 2, 2, 2),
  },
  {
    name: 'convTranspose2d',
    shapes: [
      [1, 2, 4, 4],
      [2, 3, 3, 3],
    ],
    fn: ([x, w]) => F.convTranspose2d(x, w, null, 2, 1),
  },
  {
    name: 'maxPool2d, avgPool2d',
    shapes: [[2, 2, 6, 6]],
    fn: ([x]) => L.add(F.maxPool2d(x, 2), F.avgPool2d(x, 2)),
  },
  { name: 'adaptiveAvgPool2d', shapes: [[1, 2, 7, 5]], fn: ([x]) => F.adaptiveAvgPool2d(x, [3, 2]) },
  {
    name: 'interpolate bilinear',
    shapes: [[1, 1, 3, 4]],
    fn: ([x]) => F.interpolate(x, [5, 7], null, 'bilinear'),
  },
  {
    name: 'scaledDotProductAttention causal',
    shapes: [
      [2, 5, 4],
      [2, 5, 4],
      [2, 5, 4],
    ],
    fn: ([q, k, v]) => F.scaledDotProductAttention(q, k, v, null, 0, true),
  },
];

/** Output and input gradients of one case on the current backend (loss = Σ out · fixed weights). */
async function runCase(c: Case, backend: string): Promise<Float32Array[]> {
  L.setBackend(backend);
  const xs = c.shapes.map((s, i) => L.tensor(randoms(size(s), i + 1), { shape: s }).requiresGrad_());
  const out = c.fn(xs);
  const w = L.tensor(randoms(out.numel(), 99), { shape: [...out.shape] });
  L.sum(L.mul(out, w)).backward();
  const got = [await out.data(), ...(await Promise.all(xs.map((x) => (x.grad as Tensor).data())))];
  return got as Float32Array[];
}

export async function sweepSuite(): Promise<void> {
  for (const c of CASES) {
    try {
      const ref = await runCase(c, 'js');
      const got = await runCase(c, 'webgpu');
      const tol = c.tol ?? 1e-4;
      const bad = ref
        .map((r, i) => mismatch(r, got[i], { atol: tol, rtol: tol }))
        .findIndex((m) => m !== null);
      const what = bad === 0 ? 'output' : `gradient ${bad - 1}`;
      record(
        `sweep ${c.name}`,
        bad < 0,
        bad < 0 ? undefined : `${what}: ${mismatch(ref[bad], got[bad], { atol: tol, rtol: tol })}`,
      );
    } catch (e) {
      record(`sweep ${c.name}`, false, `threw ${(e as Error).message}`);
    }
  }
  L.setBackend('js');
}
