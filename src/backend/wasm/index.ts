import type { DType, TypedArray } from '../../tensor/dtype.js';
import { dtypeOfTypedArray } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf } from '../../tensor/shape.js';
import type {
  AdamHyper,
  ArgReduceOp,
  Backend,
  BinaryOp,
  ConvGeometry,
  CumulativeOp,
  LinearActivation,
  PoolWindow,
  ReduceOp,
  Storage,
  UnaryOp,
} from '../backend.js';
import { registerBackend } from '../backend.js';
import { adamLoop } from '../shared/adam.js';
import { broadcastLoop, broadcastStrides, whereLoop } from '../js/elementwise.js';
import { JsBackend } from '../js/index.js';
import { asStridedLoop, asStridedScatterLoop, concatLoop, gatherLoop, lastAxisRows } from '../js/layout.js';
import { JsStorage, vals } from '../js/storage.js';
import type { ConvContext } from './conv.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from './conv.js';
import type { Kernels } from './loader.js';
import { loadKernels } from './loader.js';
import { Parallel } from './parallel.js';
import { planBinary, planReduce, stridedBlocks } from './route.js';
import type { StoreStats } from './store.js';
import { Store, WasmStorage } from './store.js';
import { getNumThreads, setNumThreads } from './threads.js';

// Operation codes of the kernels (scripts/wasm/).
const BINARY_CODE: Partial<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  // Comparisons give 1 or 0 (float32 outputs only: masks in backward rules).
  eq: 6,
  ne: 7,
  lt: 8,
  le: 9,
  gt: 10,
  ge: 11,
};
/** ReLU's backward, a kernel-only binary code (scripts/wasm/elementwise.mjs). */
const RELU_GRAD_CODE = 12;
const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0,
  abs: 1,
  sqrt: 2,
  relu: 3,
  exp: 4,
  log: 5,
  tanh: 6,
  sigmoid: 7,
  reciprocal: 8,
  erf: 9,
};
const REDUCE_CODE: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };

/**
 * The WebAssembly backend: float32 storages live in one shared WebAssembly.Memory and the hot
 * kernels (GEMM, elementwise arithmetic and activations, reductions over leading or trailing dims,
 * fill, copy) run as SIMD code there. Everything else (other dtypes, other kernels, broadcasts that
 * do not reduce to two dims) runs the reference backend's loops on views of the same elements, so
 * every op works and agrees with the reference.
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly canReadSync = true;
  readonly store: Store;
  /** Whether the kernels use relaxed-SIMD fused multiply-add. */
  readonly relaxed: boolean;
  /** The compiled kernels, for worker threads that share the memory. */
  readonly module: WebAssembly.Module;
  private readonly k: Kernels;
  private readonly js = new JsBackend();
  private readonly parallel: Parallel;

  constructor() {
    this.store = new Store();
    const loaded = loadKernels(this.store.heap.memory);
    this.k = loaded.kernels;
    this.relaxed = loaded.relaxed;
    this.module = loaded.module;
    this.parallel = new Parallel(this.store.heap, this.module, this.k);
  }

  /** The threads large kernels run on (see setNumThreads in threads.ts: one setting for all). */
  setNumThreads(n: number): void {
    setNumThreads(n);
  }

  getNumThreads(): number {
    return getNumThreads();
  }

  /** Resolves once the worker threads have started (kernels run on fewer threads until then). */
  threadsReady(): Promise<boolean> {
    return this.parallel.whenReady();
  }

  threadStats(): { workers: number; ready: number; jobs: number; wakes: number; steals: number } {
    return this.parallel.stats();
  }

  // Convolution: float32 in the kernels of conv.ts; other dtypes compose (null).
  conv2d(
    x: Storage,
    xShape: Shape,
    w: Storage,
    wShape: Shape,
    geom: ConvGeometry,
    bias: Storage | null = null,
    activation: LinearActivation = 'none',
  ): Storage | null {
    if (x.dtype !== 'float32') return null;
    return conv2dForward(this.convContext(), x, xShape, w, wShape, geom, bias, activation);
  }

  conv2dBackwardInput(
    g: Storage,
    w: Storage,
    xShape: Shape,
    wShape: Shape,
    geom: ConvGeometry,
  ): Storage | null {
    return g.dtype === 'float32' ? conv2dBackwardInput(this.convContext(), g, w, xShape, wShape, geom) : null;
  }

  conv2dBackwardWeight(
    g: Storage,
    x: Storage,
    xShape: Shape,
    wShape: Shape,
    geom: ConvGeometry,
  ): Storage | null {
    return g.dtype === 'float32'
      ? conv2dBackwardWeight(this.convContext(), g, x, xShape, wShape, geom)
      : null;
  }

  private convContext(): ConvContext {
    return {
      k: this.k,
      parallel: this.parallel,
      heap: this.store.heap,
      outs: (...sizes) => this.outs(...sizes),
      p: (x) => this.p(x),
    };
  }

  /**
   * Frees a storage's WebAssembly memory now instead of when it is garbage-collected. Only for a
   * storage no tensor will use again: using one afterwards throws.
   */
  release(x: Storage): void {
    this.store.release(x as WasmStorage);
  }

  memoryStats(): StoreStats {
    return this.store.stats();
  }

  upload(values: TypedArray): Storage {
    return new WasmStorage(this, dtypeOfTypedArray(values), values.length, values);
  }

  readSync(x: Storage): TypedArray {
    return this.store.view(x as WasmStorage).slice();
  }

  read(x: Storage): Promise<TypedArray> {
    return Promise.resolve(this.readSync(x));
  }

  adamStep(p: Storage, g: Storage, m: Storage, v: Storage, hyper: AdamHyper, vmax?: Storage | null): void {
    if (p.dtype === 'float32' && !vmax) {
      const [pp, pg, pm, pv] = [this.p(p), this.p(g), this.p(m), this.p(v)];
      const { lr, beta1, beta2, eps, weightDecay, decoupled, maximize, step } = hyper;
      const [decay, l2] = decoupled ? [1 - lr * weightDecay, 0] : [1, weightDecay];
      const negStep = -lr / (1 - beta1 ** step);
      const bc2 = Math.sqrt(1 - beta2 ** step);
      const words = [beta1, beta2, 1 - beta1, 1 - beta2, l2, decay, negStep, bc2, eps, +decoupled, +maximize];
      this.parallel.adam(pp, pg, pm, pv, p.size, words);
      return;
    }
    // Elsewhere in place on the elements wherever they live (memory or host): no views are
    // invalidated, as nothing is allocated in between.
    adamLoop(this.v(p), this.v(g), this.v(m), this.v(v), hyper, vmax ? this.v(vmax) : null);
  }

  // Batch norm: float32 in the SIMD kernels, other dtypes in the reference loops.
  batchNormStats(x: Storage, shape: Shape): [Storage, Storage] {
    if (x.dtype !== 'float32') {
      const [m, v] = this.js.batchNormStats(this.w(x), shape);
      return [this.fromJs(m), this.fromJs(v)];
    }
    const [outer, c, inner] = bnDims(shape);
    const [mean, variance, scratch] = this.outs(c, c, 4 * c);
    const [pm, pv, ps] = [this.p(mean), this.p(variance), this.p(scratch)];
    if (x.size > 0) this.k.bn_stats(this.p(x), outer, c, inner, pm, pv, ps);
    this.store.release(scratch);
    return [mean, variance];
  }

  batchNormApply(x: Storage, shape: Shape, scale: Storage, shift: Storage, center: Storage | null): Storage {
    if (x.dtype !== 'float32') {
      const c = center ? this.w(center) : null;
      return this.fromJs(this.js.batchNormApply(this.w(x), shape, this.w(scale), this.w(shift), c));
    }
    const [outer, c, inner] = bnDims(shape);
    const out = this.out(x.size);
    const zeros = center ? null : this.fill(c, 0, 'float32');
    const [po, pc] = [this.p(out), this.p(center ?? zeros!)];
    if (x.size > 0) this.k.bn_apply(this.p(x), po, outer, c, inner, this.p(scale), this.p(shift), pc);
    if (zeros) this.store.release(zeros as WasmStorage);
    return out;
  }

  batchNormBackward(
    g: Storage,
    x: Storage,
    shape: Shape,
    mean: Storage,
    invstd: Storage,
    weight: Storage | null,
  ): [Storage, Storage, Storage] {
    if (x.dtype !== 'float32') {
      const w = weight ? this.w(weight) : null;
      const r = this.js.batchNormBackward(this.w(g), this.w(x), shape, this.w(mean), this.w(invstd), w);
      return [this.fromJs(r[0]), this.fromJs(r[1]), this.fromJs(r[2])];
    }
    const [outer, c, inner] = bnDims(shape);
    const [dx, sumG, sumGXhat, scratch, coef] = this.outs(x.size, c, c, 4 * c, 3 * c);
    const [pd, ps, pk] = [this.p(dx), this.p(scratch), this.p(coef)];
    const [pg, px, pm] = [this.p(g), this.p(x), this.p(mean)];
    if (x.size > 0) this.k.bn_backward_sums(pg, px, outer, c, inner, pm, ps);
    // Per-channel coefficients of dx = g·A + (x − μ)·B + C, from the float64 sums.
    const sums = new Float64Array(this.store.heap.memory.buffer, ps, 2 * c);
    const r = this.v(invstd);
    const w = weight ? this.v(weight) : null;
    const k = this.v(coef);
    const [sg, sgx] = [this.v(sumG), this.v(sumGXhat)];
    const n = outer * inner;
    for (let j = 0; j < c; j++) {
      const a = (w ? w[j] : 1) * r[j];
      const gxhat = sums[c + j] * r[j];
      sg[j] = sums[j];
      sgx[j] = gxhat;
      k[j] = a;
      k[c + j] = (-a * r[j] * gxhat) / n;
      k[2 * c + j] = (-a * sums[j]) / n;
    }
    if (x.size > 0) this.k.bn_backward_dx(pg, px, pd, outer, c, inner, pm, pk);
    this.store.release(scratch);
    this.store.release(coef);
    return [dx, sumG, sumGXhat];
  }

  assign(dst: Storage, src: Storage): void {
    // set() copies as memmove does, so overlapping views are fine.
    this.store.view(dst as WasmStorage).set(this.store.view(src as WasmStorage));
  }

  fill(size: number, value: number, dtype: DType): Storage {
    if (dtype !== 'float32') return this.fromJs(this.js.fill(size, value, dtype));
    const out = this.out(size);
    if (size > 0) this.k.fill(out.ptr, size, value);
    return out;
  }

  cast(x: Storage, dtype: DType): Storage {
    if (dtype !== 'float32' || x.dtype !== 'float32') return this.fromJs(this.js.cast(this.w(x), dtype));
    const out = this.out(x.size);
    if (x.size > 0) this.k.copy(this.p(x), out.ptr, x.size);
    return out;
  }

  unary(op: UnaryOp, x: Storage, outDtype: DType): Storage {
    const code = UNARY_CODE[op];
    if (code === undefined || x.dtype !== 'float32' || outDtype !== 'float32') {
      return this.fromJs(this.js.unary(op, this.w(x), outDtype));
    }
    const out = this.out(x.size);
    if (x.size > 0) this.parallel.unary(code, this.p(x), out.ptr, x.size);
    return out;
  }

  binary(
    op: BinaryOp,
    a: Storage,
    aShape: Shape,
    b: Storage,
    bShape: Shape,
    outShape: Shape,
    outDtype: DType,
  ): Storage {
    const code = BINARY_CODE[op];
    const plan =
      code !== undefined && a.dtype === 'float32' && b.dtype === 'float32' && outDtype === 'float32'
        ? planBinary(aShape, bShape, outShape)
        : null;
    if (!plan) {
      return this.fromJs(this.js.binary(op, this.w(a), aShape, this.w(b), bShape, outShape, outDtype));
    }
    return this.binaryKernel(code!, plan, a, b, sizeOf(outShape));
  }

  reluBackward(g: Storage, y: Storage, shape: Shape): Storage | null {
    if (g.dtype !== 'float32' || y.dtype !== 'float32') return null;
    return this.binaryKernel(RELU_GRAD_CODE, planBinary(shape, shape, shape)!, g, y, sizeOf(shape));
  }

  /** A binary kernel by op code over a broadcast plan, into a new storage of n floats. */
  private binaryKernel(
    code: number,
    plan: NonNullable<ReturnType<typeof planBinary>>,
    a: Storage,
    b: Storage,
    n: number,
  ): Storage {
    const out = this.out(n);
    if (n === 0) return out;
    const pa = this.p(a);
    const pb = this.p(b);
    const { rows, cols, aRow, aCol, bRow, bCol } = plan;
    for (const [oa, ob, oo] of plan.blocks) {
      this.parallel.binary(
        code,
        pa + 4 * oa,
        pb + 4 * ob,
        out.ptr + 4 * oo,
        rows,
        cols,
        aRow,
        aCol,
        bRow,
        bCol,
      );
    }
    return out;
  }

  where(
    cond: Storage,
    condShape: Shape,
    a: Storage,
    aShape: Shape,
    b: Storage,
    bShape: Shape,
    outShape: Shape,
  ): Storage {
    return this.loopInto(a.dtype, sizeOf(outShape), (out) =>
      whereLoop(this.v(cond), condShape, this.v(a), aShape, this.v(b), bShape, outShape, out),
    );
  }

  reduce(op: ReduceOp, x: Storage, shape: Shape, axes: readonly number[], outDtype: DType): Storage {
    const code = REDUCE_CODE[op];
    const plan =
      code !== undefined && x.dtype === 'float32' && outDtype === 'float32' ? planReduce(shape, axes) : null;
    if (!plan) return this.fromJs(this.js.reduce(op, this.w(x), shape, axes, outDtype));
    const { kind, outer, rows, cols } = plan;
    if (kind === 'rowsThenCols') {
      const [partial, out] = this.outs(outer * rows, rows);
      this.parallel.reduceRows(code!, this.p(x), partial.ptr, outer * rows, cols);
      this.k.reduce_cols(code!, partial.ptr, out.ptr, outer, rows);
      this.store.release(partial);
      return out;
    }
    const out = this.out(kind === 'copy' ? x.size : kind === 'rows' ? outer * rows : outer * cols);
    const px = this.p(x);
    if (kind === 'copy') this.k.copy(px, out.ptr, x.size);
    for (let o = 0; o < outer && kind !== 'copy'; o++) {
      const src = px + 4 * o * rows * cols;
      if (kind === 'rows') this.parallel.reduceRows(code!, src, out.ptr + 4 * o * rows, rows, cols);
      else this.k.reduce_cols(code!, src, out.ptr + 4 * o * cols, rows, cols);
    }
    return out;
  }

  maxPool2d(x: Storage, shape: Shape, window: PoolWindow): [Storage, Storage] {
    if (x.dtype !== 'float32') {
      const [v, i] = this.js.maxPool2d(this.w(x), shape, window);
      return [this.fromJs(v), this.fromJs(i)];
    }
    const size = shape[0] * shape[1] * window.out[0] * window.out[1];
    // The positions stay in the memory (int32), where the backward kernel reads them.
    this.store.reserve(8 * size);
    const out = this.store.alloc(this, size);
    const positions = this.store.alloc(this, size, 'int32');
    const [k, s, p, d] = [window.k, window.s, window.p, window.d];
    const geometry = [shape[2], shape[3], ...window.out, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]];
    this.parallel.maxpool(this.p(x), out.ptr, positions.ptr, shape[0] * shape[1], geometry);
    return [out, positions];
  }

  layerNorm(
    x: Storage,
    rows: number,
    cols: number,
    weight: Storage | null,
    bias: Storage | null,
    eps: number,
  ): [Storage, Storage, Storage] | null {
    if (x.dtype !== 'float32') return null;
    const [y, mean, rstd] = this.outs(rows * cols, rows, rows);
    const [pw, pb] = [weight ? this.p(weight) : 0, bias ? this.p(bias) : 0];
    const flags = (weight ? 1 : 0) | (bias ? 2 : 0);
    const epsBits = new Int32Array(new Float32Array([eps]).buffer)[0];
    if (rows * cols > 0) {
      this.parallel.layerNorm([this.p(x), y.ptr, mean.ptr, rstd.ptr, pw, pb], rows, cols, epsBits, flags);
    } else if (rows > 0) {
      // No elements per row: PyTorch's mean and rstd are NaN there.
      this.k.fill(mean.ptr, rows, NaN);
      this.k.fill(rstd.ptr, rows, NaN);
    }
    return [y, mean, rstd];
  }

  layerNormBackward(
    g: Storage,
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    rows: number,
    cols: number,
    params: boolean,
  ): [Storage, Storage | null, Storage | null] | null {
    if (x.dtype !== 'float32') return null;
    const outs = this.outs(rows * cols, ...(params ? [cols, cols] : []));
    const [dx, dw, db]: [WasmStorage, WasmStorage | null, WasmStorage | null] = [
      outs[0],
      outs[1] ?? null,
      outs[2] ?? null,
    ];
    if (rows * cols === 0) {
      if (dw) this.k.fill(dw.ptr, cols, 0);
      if (db) this.k.fill(db.ptr, cols, 0);
      return [dx, dw, db];
    }
    const a = [g, x, mean, rstd].map((s) => this.p(s));
    const pw = weight ? this.p(weight) : 0;
    this.parallel.layerNormBackward(
      [...a, pw, dx.ptr, dw?.ptr ?? 0, db?.ptr ?? 0],
      rows,
      cols,
      weight ? 1 : 0,
    );
    return [dx, dw, db];
  }

  maxPool2dBackward(g: Storage, indices: Storage, xShape: Shape, window: PoolWindow): Storage {
    const [n, c, h, w] = xShape;
    if (g.dtype !== 'float32')
      return this.fromJs(this.js.maxPool2dBackward(this.w(g), this.w(indices), xShape, window));
    const P = window.out[0] * window.out[1];
    const [gx] = this.outs(n * c * h * w);
    // int32 positions from another kernel are on the host: ptr() copies them in.
    const positions = indices.dtype === 'int32' ? this.store.ptr(indices as WasmStorage) : -1;
    const ok = positions >= 0 && this.parallel.maxpoolBackward(this.p(g), positions, gx.ptr, n * c, h * w, P);
    if (ok) return gx;
    this.store.release(gx); // the reference names the bad position
    return this.fromJs(this.js.maxPool2dBackward(this.w(g), this.w(indices), xShape, window));
  }

  argReduce(op: ArgReduceOp, x: Storage, shape: Shape, axis: number): Storage {
    return this.fromJs(this.js.argReduce(op, this.w(x), shape, axis));
  }

  cumulative(op: CumulativeOp, x: Storage, shape: Shape, axis: number): Storage {
    return this.fromJs(this.js.cumulative(op, this.w(x), shape, axis));
  }

  argsort(x: Storage, shape: Shape, axis: number, descending: boolean): Storage {
    return this.fromJs(this.js.argsort(this.w(x), shape, axis, descending));
  }

  matmul(
    a: Storage,
    aShape: Shape,
    b: Storage,
    bShape: Shape,
    transA: boolean,
    transB: boolean,
    outShape: Shape,
  ): Storage {
    if (a.dtype !== 'float32') {
      return this.fromJs(this.js.matmul(this.w(a), aShape, this.w(b), bShape, transA, transB, outShape));
    }
    const na = aShape.length;
    const M = transA ? aShape[na - 1] : aShape[na - 2];
    const K = transA ? aShape[na - 2] : aShape[na - 1];
    const N = outShape[outShape.length - 1];
    const n = sizeOf(outShape);
    const out = this.out(n);
    if (n === 0) return out;
    if (K === 0) {
      this.k.fill(out.ptr, n, 0);
      return out;
    }
    const pa = this.p(a);
    const pb = this.p(b);
    const one = (o: number, ia: number, ib: number) =>
      this.parallel.gemm(pa + 4 * ia, pb + 4 * ib, out.ptr + 4 * o, M, N, K, +transA, +transB);
    const batchShape = outShape.slice(0, -2);
    if (batchShape.length === 0) {
      one(0, 0, 0);
    } else {
      const aBatch = broadcastStrides(aShape.slice(0, -2), batchShape).map((s) => s * M * K);
      const bBatch = broadcastStrides(bShape.slice(0, -2), batchShape).map((s) => s * K * N);
      broadcastLoop(batchShape, [aBatch, bBatch], (o, ia, ib) => one(o * M * N, ia, ib));
    }
    return out;
  }

  /** act(x·wᵀ + bias): each row starts as the bias, the product accumulates onto it, ReLU in place. */
  linear(
    x: Storage,
    xShape: Shape,
    w: Storage,
    wShape: Shape,
    bias: Storage | null,
    activation: LinearActivation,
  ): Storage | null {
    if (x.dtype !== 'float32') return null;
    const [M, K] = xShape;
    const N = wShape[0];
    const out = this.out(M * N);
    if (out.size === 0) return out;
    if (bias) this.gatherInto(this.p(bias), out.ptr, [M, N], [0, 1], 0);
    if (K > 0) this.parallel.gemm(this.p(x), this.p(w), out.ptr, M, N, K, 0, 1, bias ? 1 : 0);
    else if (!bias) this.k.fill(out.ptr, out.size, 0);
    if (activation === 'relu') this.parallel.unary(UNARY_CODE.relu!, out.ptr, out.ptr, out.size);
    return out;
  }

  asStrided(x: Storage, shape: Shape, strides: readonly number[], offset: number): Storage {
    if (x.dtype !== 'float32') {
      return this.loopInto(x.dtype, sizeOf(shape), (out) =>
        asStridedLoop(this.v(x), shape, strides, offset, out),
      );
    }
    const out = this.out(sizeOf(shape));
    if (out.size > 0) this.gatherInto(this.p(x), out.ptr, shape, strides, offset);
    return out;
  }

  /** Writes the view (shape, strides, offset) of the float32 elements at px to outPtr. */
  private gatherInto(
    px: number,
    outPtr: number,
    shape: Shape,
    strides: readonly number[],
    offset: number,
  ): void {
    stridedBlocks(shape, strides, offset, (src, dst, d) =>
      this.k.strided_gather(px + 4 * src, outPtr + 4 * dst, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]),
    );
  }

  asStridedScatter(
    src: Storage,
    shape: Shape,
    strides: readonly number[],
    offset: number,
    baseSize: number,
  ): Storage {
    if (src.dtype !== 'float32') {
      return this.loopInto(src.dtype, baseSize, (out) => {
        out.fill(0);
        asStridedScatterLoop(this.v(src), shape, strides, offset, out);
      });
    }
    const out = this.out(baseSize);
    if (baseSize === 0) return out;
    this.k.fill(out.ptr, baseSize, 0);
    if (sizeOf(shape) === 0) return out;
    const ps = this.p(src);
    stridedBlocks(shape, strides, offset, (base, from, d) =>
      this.k.strided_scatter_add(
        out.ptr + 4 * base,
        ps + 4 * from,
        d[0],
        d[1],
        d[2],
        d[3],
        d[4],
        d[5],
        d[6],
        d[7],
      ),
    );
    return out;
  }

  concat(xs: readonly Storage[], shapes: readonly Shape[], axis: number, outShape: Shape): Storage {
    return this.loopInto(xs[0].dtype, sizeOf(outShape), (out) =>
      concatLoop(
        xs.map((x) => this.v(x)),
        shapes,
        axis,
        out,
      ),
    );
  }

  gather(x: Storage, xShape: Shape, axis: number, index: Storage, indexShape: Shape): Storage {
    return this.loopInto(x.dtype, sizeOf(indexShape), (out) =>
      gatherLoop(this.v(x), xShape, axis, this.v(index) as Int32Array, indexShape, out),
    );
  }

  scatterAdd(
    base: Storage,
    baseShape: Shape,
    axis: number,
    index: Storage,
    indexShape: Shape,
    src: Storage,
    srcShape: Shape,
  ): Storage {
    const rows = lastAxisRows(baseShape, axis, indexShape, srcShape);
    if (rows > 0 && base.dtype === 'float32' && index.size > 0) {
      // Along the last axis (max pooling's and max's backward): the kernel, on a copy of base.
      const [out, positions] = this.outs(base.size, index.size);
      const [pb, ps] = [this.p(base), this.p(src)];
      this.k.copy(pb, out.ptr, base.size);
      new Int32Array(this.store.heap.memory.buffer, positions.ptr, index.size).set(this.v(index));
      const bad = this.k.scatter_add_rows(
        out.ptr,
        positions.ptr,
        ps,
        rows,
        baseShape[axis],
        indexShape[axis],
      );
      this.store.release(positions);
      if (!bad) return out;
      this.store.release(out); // the reference loop below names the bad index
    }
    return this.fromJs(
      this.js.scatterAdd(this.w(base), baseShape, axis, this.w(index), indexShape, this.w(src), srcShape),
    );
  }

  /** A new resident float32 storage for a kernel's output; first evicts if memory is crowded. */
  private out(size: number): WasmStorage {
    this.store.reserve(size * 4);
    return this.store.alloc(this, size);
  }

  /**
   * Several outputs of one kernel, room made for all at once: a second out() could evict the
   * first (where eviction is the way memory is reclaimed) and leave its pointer stale.
   */
  private outs(...sizes: number[]): WasmStorage[] {
    this.store.reserve(sizes.reduce((a, b) => a + b, 0) * 4);
    return sizes.map((size) => this.store.alloc(this, size));
  }

  /** The byte offset of a float32 input, copying it into the memory if it is on the host. */
  private p(x: Storage): number {
    return this.store.ptr(x as WasmStorage);
  }

  /** The elements in place (a view of the memory, or the host array). */
  private v(x: Storage): TypedArray {
    return this.store.view(x as WasmStorage);
  }

  /** A reference-backend storage over the same elements, for the reference kernels. */
  private w(x: Storage): JsStorage {
    return new JsStorage(this.js, this.v(x), x.dtype);
  }

  /** Adopts a reference kernel's result (float32 moves into the memory at its first wasm use). */
  private fromJs(r: Storage): WasmStorage {
    return new WasmStorage(this, r.dtype, r.size, vals(r));
  }

  /**
   * Runs a reference loop writing into a new storage: float32 output goes straight into the memory.
   * Inputs are read through views taken after the output is allocated.
   */
  private loopInto(dtype: DType, size: number, body: (out: TypedArray) => void): WasmStorage {
    if (dtype !== 'float32') {
      const host = this.js.fill(size, 0, dtype);
      body(vals(host));
      return this.fromJs(host);
    }
    const out = this.out(size);
    body(this.v(out));
    return out;
  }
}

/** [N, C, inner] of an [N, C, *] shape. */
function bnDims(shape: Shape): [number, number, number] {
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}

registerBackend('wasm', () => new WasmBackend(), 1);
