import type { DType, TypedArray } from '../../tensor/dtype.js';
import { castScalar, dtypeOfTypedArray } from '../../tensor/dtype.js';
import { BackendError } from '../../tensor/errors.js';
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
import type { AdapterDescription } from './device.js';
import { conv2dBackwardInputKernel, conv2dBackwardWeightKernel, conv2dKernel } from './conv.js';
import {
  biasActKernel,
  reluBackwardKernel,
  binaryKernel,
  castKernel,
  fillKernel,
  unaryKernel,
  valueBits,
  whereKernel,
} from './elementwise.js';
import type { GPUBufferLike, GPUDeviceLike } from './gpu-types.js';
import {
  asStridedKernel,
  asStridedScatterKernel,
  concatPartKernel,
  gatherKernel,
  scatterAddKernel,
} from './layout.js';
import { layerNormBackwardKernel, layerNormKernel, layerNormParamsKernel } from './layernorm.js';
import { matmulKernel } from './matmul.js';
import {
  adamKernel,
  bnApplyKernel,
  bnBackwardKernel,
  bnStatsKernel,
  maxPoolBackwardKernel,
  maxPoolKernel,
} from './nn.js';
import { argReduceKernel, argsortKernel, cumulativeKernel, reduceKernel } from './reduce.js';
import type { WebGPUStats } from './runtime.js';
import { Runtime, WebGPUStorage } from './runtime.js';
import { checkDTypes, noF64 } from './wgsl.js';

/**
 * The WebGPU backend: every storage is a GPU buffer and every kernel a WGSL compute shader, so
 * tensors stay on the device between ops and are read back only by `await tensor.data()`.
 * float32, int32 and bool (as u32 0/1) are supported; float64 throws (WGSL has no f64), naming the
 * op. Kernels cannot throw: an out-of-range gather or scatterAdd index is recorded on the device
 * and the next read (or sync) throws its IndexError, as CUDA reports device-side errors.
 */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  readonly canReadSync = false;
  readonly rt: Runtime;

  constructor(
    readonly device: GPUDeviceLike,
    readonly adapter: AdapterDescription,
  ) {
    this.rt = new Runtime(device);
  }

  private make(dtype: DType, size: number): WebGPUStorage {
    return this.rt.alloc(this, dtype, size);
  }

  /** The buffer of a live storage of this backend. */
  private buf(s: Storage): GPUBufferLike {
    const w = s as WebGPUStorage;
    if (w.backend !== this)
      throw new BackendError(`webgpu: a storage of the '${s.backend.name}' backend was passed`);
    if (w.released) throw new BackendError('webgpu: use of a released storage');
    return w.buffer;
  }

  /** Frees a storage's buffer now rather than when it is collected (only for a dead storage). */
  release(s: Storage): void {
    this.rt.release(s as WebGPUStorage);
  }

  /** Buffer counts and bytes (live, pooled), dispatches and submits so far. */
  memoryStats(): WebGPUStats {
    return this.rt.stats();
  }

  /**
   * Submits recorded kernels now; resolves when the device has finished them, or rejects with the
   * IndexError of a bad gather/scatterAdd index met since the last read.
   */
  async sync(): Promise<void> {
    this.rt.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.rt.checkFaults();
  }

  /** Validation errors the device reported so far (empty when every kernel was accepted). */
  get errors(): readonly string[] {
    return this.rt.errors;
  }

  upload(values: TypedArray): Storage {
    const dtype = dtypeOfTypedArray(values);
    if (dtype === 'float64') throw noF64('upload', dtype);
    const s = this.make(dtype, values.length);
    this.rt.write(s, values);
    return s;
  }

  readSync(): TypedArray {
    throw new BackendError("webgpu: the GPU cannot be read synchronously; use 'await tensor.data()' instead");
  }

  read(x: Storage): Promise<TypedArray> {
    this.buf(x);
    return this.rt.read(x as WebGPUStorage);
  }

  assign(dst: Storage, src: Storage): void {
    const d = this.buf(dst);
    const s = this.buf(src);
    if (d !== s) this.rt.copy(s, d, src.size * 4);
  }

  adamStep(p: Storage, g: Storage, m: Storage, v: Storage, hyper: AdamHyper, vmax?: Storage | null): void {
    checkDTypes('adamStep', p.dtype);
    adamKernel(
      this.rt,
      this.buf(p),
      this.buf(g),
      this.buf(m),
      this.buf(v),
      vmax ? this.buf(vmax) : null,
      p.size,
      hyper,
    );
  }

  batchNormStats(x: Storage, shape: Shape): [Storage, Storage] {
    checkDTypes('batchNormStats', x.dtype);
    const mean = this.make(x.dtype, shape[1]);
    const variance = this.make(x.dtype, shape[1]);
    bnStatsKernel(this.rt, this.buf(x), shape, mean.buffer, variance.buffer);
    return [mean, variance];
  }

  batchNormApply(x: Storage, shape: Shape, scale: Storage, shift: Storage, center: Storage | null): Storage {
    checkDTypes('batchNormApply', x.dtype);
    const out = this.make(x.dtype, x.size);
    bnApplyKernel(
      this.rt,
      this.buf(x),
      shape,
      this.buf(scale),
      this.buf(shift),
      center ? this.buf(center) : null,
      out.buffer,
    );
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
    checkDTypes('batchNormBackward', x.dtype);
    const dx = this.make(x.dtype, x.size);
    const sumG = this.make(x.dtype, shape[1]);
    const sumGXhat = this.make(x.dtype, shape[1]);
    const w = weight ? this.buf(weight) : null;
    bnBackwardKernel(
      this.rt,
      this.buf(g),
      this.buf(x),
      shape,
      this.buf(mean),
      this.buf(invstd),
      w,
      dx.buffer,
      sumG.buffer,
      sumGXhat.buffer,
    );
    return [dx, sumG, sumGXhat];
  }

  // Direct convolution kernels, float32 only (null sends other dtypes to the composed form).
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
    const out = this.make('float32', xShape[0] * wShape[0] * geom.out[0] * geom.out[1]);
    conv2dKernel(this.rt, this.buf(x), xShape, this.buf(w), wShape, geom, out.buffer);
    const inner = geom.out[0] * geom.out[1];
    biasActKernel(this.rt, out.buffer, bias && this.buf(bias), wShape[0], out.size, activation, inner);
    return out;
  }

  conv2dBackwardInput(
    g: Storage,
    w: Storage,
    xShape: Shape,
    wShape: Shape,
    geom: ConvGeometry,
  ): Storage | null {
    if (g.dtype !== 'float32') return null;
    const out = this.make('float32', sizeOf(xShape));
    conv2dBackwardInputKernel(this.rt, this.buf(g), this.buf(w), xShape, wShape, geom, out.buffer);
    return out;
  }

  conv2dBackwardWeight(
    g: Storage,
    x: Storage,
    xShape: Shape,
    wShape: Shape,
    geom: ConvGeometry,
  ): Storage | null {
    if (g.dtype !== 'float32') return null;
    const out = this.make('float32', sizeOf(wShape));
    conv2dBackwardWeightKernel(this.rt, this.buf(g), this.buf(x), xShape, wShape, geom, out.buffer);
    return out;
  }

  maxPool2d(x: Storage, shape: Shape, window: PoolWindow): [Storage, Storage] {
    if (x.dtype !== 'float32') throw noF64('maxPool2d', x.dtype);
    const size = shape[0] * shape[1] * window.out[0] * window.out[1];
    const values = this.make(x.dtype, size);
    const indices = this.make('int32', size);
    maxPoolKernel(this.rt, this.buf(x), shape, window, values.buffer, indices.buffer);
    return [values, indices];
  }

  fill(size: number, value: number, dtype: DType): Storage {
    checkDTypes('fill', dtype);
    const out = this.make(dtype, size);
    if (size > 0) fillKernel(this.rt, out.buffer, size, valueBits(castScalar(value, dtype), dtype));
    return out;
  }

  cast(x: Storage, dtype: DType): Storage {
    checkDTypes('cast', x.dtype, dtype);
    const out = this.make(dtype, x.size);
    if (x.size === 0) return out;
    if (dtype === x.dtype) this.rt.copy(this.buf(x), out.buffer, x.size * 4);
    else castKernel(this.rt, this.buf(x), x.dtype, out.buffer, dtype, x.size);
    return out;
  }

  unary(op: UnaryOp, x: Storage, outDtype: DType): Storage {
    checkDTypes(op, x.dtype, outDtype);
    const out = this.make(outDtype, x.size);
    if (x.size > 0) unaryKernel(this.rt, op, this.buf(x), x.dtype, out.buffer, outDtype, x.size);
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
    checkDTypes(op, a.dtype, b.dtype, outDtype);
    const n = sizeOf(outShape);
    const out = this.make(outDtype, n);
    if (n > 0)
      binaryKernel(
        this.rt,
        op,
        this.buf(a),
        aShape,
        this.buf(b),
        bShape,
        a.dtype,
        out.buffer,
        outShape,
        outDtype,
        n,
      );
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
    checkDTypes('where', a.dtype);
    const n = sizeOf(outShape);
    const out = this.make(a.dtype, n);
    if (n > 0) {
      whereKernel(
        this.rt,
        this.buf(cond),
        condShape,
        this.buf(a),
        aShape,
        this.buf(b),
        bShape,
        a.dtype,
        out.buffer,
        outShape,
        n,
      );
    }
    return out;
  }

  reduce(op: ReduceOp, x: Storage, shape: Shape, axes: readonly number[], outDtype: DType): Storage {
    checkDTypes(`reduce ${op}`, x.dtype, outDtype);
    const out = this.make(outDtype, sizeOf(shape.map((d, i) => (axes.includes(i) ? 1 : d))));
    reduceKernel(this.rt, op, this.buf(x), x.dtype, shape, axes, out.buffer, outDtype);
    return out;
  }

  argReduce(op: ArgReduceOp, x: Storage, shape: Shape, axis: number): Storage {
    checkDTypes(op, x.dtype);
    const out = this.make('int32', sizeOf(shape) / Math.max(shape[axis], 1));
    argReduceKernel(this.rt, op, this.buf(x), x.dtype, shape, axis, out.buffer);
    return out;
  }

  cumulative(op: CumulativeOp, x: Storage, shape: Shape, axis: number): Storage {
    checkDTypes(`cumulative ${op}`, x.dtype);
    const out = this.make(x.dtype, x.size);
    cumulativeKernel(this.rt, op, this.buf(x), x.dtype, shape, axis, out.buffer);
    return out;
  }

  argsort(x: Storage, shape: Shape, axis: number, descending: boolean): Storage {
    checkDTypes('argsort', x.dtype);
    const out = this.make('int32', x.size);
    argsortKernel(this.rt, this.buf(x), x.dtype, shape, axis, descending, out.buffer);
    return out;
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
    checkDTypes('matmul', a.dtype);
    if (a.dtype === 'bool') throw new BackendError('webgpu: matmul of bool tensors is not supported');
    const out = this.make(a.dtype, sizeOf(outShape));
    matmulKernel(
      this.rt,
      this.buf(a),
      aShape,
      this.buf(b),
      bShape,
      transA,
      transB,
      a.dtype,
      out.buffer,
      outShape,
    );
    return out;
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
    // Rows of no elements: the statistics are NaN (0/0), as on the reference.
    if (cols === 0)
      return [this.make('float32', 0), this.fill(rows, NaN, 'float32'), this.fill(rows, NaN, 'float32')];
    const [y, mean, rstd] = [rows * cols, rows, rows].map((n) => this.make('float32', n));
    const bufs = { x: this.buf(x), y: y.buffer, mean: mean.buffer, rstd: rstd.buffer };
    layerNormKernel(this.rt, bufs, weight && this.buf(weight), bias && this.buf(bias), rows, cols, eps);
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
    const dx = this.make('float32', rows * cols);
    const bufs = { g: this.buf(g), x: this.buf(x), mean: this.buf(mean), rstd: this.buf(rstd) };
    layerNormBackwardKernel(this.rt, { ...bufs, dx: dx.buffer }, weight && this.buf(weight), rows, cols);
    if (!params) return [dx, null, null];
    if (rows === 0) return [dx, this.fill(cols, 0, 'float32'), this.fill(cols, 0, 'float32')];
    const [dw, db] = [this.make('float32', cols), this.make('float32', cols)];
    layerNormParamsKernel(this.rt, bufs, dw.buffer, db.buffer, rows, cols);
    return [dx, dw, db];
  }

  maxPool2dBackward(g: Storage, indices: Storage, xShape: Shape, window: PoolWindow): Storage | null {
    if (g.dtype !== 'float32' || indices.dtype !== 'int32') return null;
    const dx = this.make('float32', sizeOf(xShape));
    maxPoolBackwardKernel(this.rt, this.buf(g), this.buf(indices), xShape, window, dx.buffer);
    return dx;
  }

  reluBackward(g: Storage, y: Storage, shape: Shape): Storage | null {
    if (g.dtype !== 'float32' || y.dtype !== 'float32') return null;
    const out = this.make('float32', sizeOf(shape));
    reluBackwardKernel(this.rt, this.buf(g), this.buf(y), out.buffer, out.size);
    return out;
  }

  /** act(x·wᵀ + bias): the tiled product, then the bias and the activation in one pass. */
  linear(
    x: Storage,
    xShape: Shape,
    w: Storage,
    wShape: Shape,
    bias: Storage | null,
    activation: LinearActivation,
  ): Storage {
    checkDTypes('linear', x.dtype);
    const outShape = [xShape[0], wShape[0]];
    const out = this.make(x.dtype, sizeOf(outShape));
    matmulKernel(
      this.rt,
      this.buf(x),
      xShape,
      this.buf(w),
      wShape,
      false,
      true,
      x.dtype,
      out.buffer,
      outShape,
    );
    biasActKernel(this.rt, out.buffer, bias && this.buf(bias), wShape[0], out.size, activation);
    return out;
  }

  asStrided(x: Storage, shape: Shape, strides: readonly number[], offset: number): Storage {
    checkDTypes('asStrided', x.dtype);
    const n = sizeOf(shape);
    const out = this.make(x.dtype, n);
    asStridedKernel(this.rt, this.buf(x), x.dtype, shape, strides, offset, out.buffer, n);
    return out;
  }

  asStridedScatter(
    src: Storage,
    shape: Shape,
    strides: readonly number[],
    offset: number,
    baseSize: number,
  ): Storage {
    checkDTypes('asStridedScatter', src.dtype);
    const out = this.make(src.dtype, baseSize);
    if (baseSize === 0) return out;
    fillKernel(this.rt, out.buffer, baseSize, 0);
    asStridedScatterKernel(
      this.rt,
      this.buf(src),
      src.dtype,
      shape,
      strides,
      offset,
      out.buffer,
      sizeOf(shape),
    );
    return out;
  }

  concat(xs: readonly Storage[], shapes: readonly Shape[], axis: number, outShape: Shape): Storage {
    const dtype = xs[0].dtype;
    checkDTypes('concat', dtype);
    const out = this.make(dtype, sizeOf(outShape));
    const chunks = shapes.map((s) => sizeOf(s.slice(axis)));
    const row = chunks.reduce((a, b) => a + b, 0);
    let start = 0;
    xs.forEach((x, i) => {
      concatPartKernel(this.rt, this.buf(x), dtype, x.size, chunks[i], row, start, out.buffer);
      start += chunks[i];
    });
    return out;
  }

  gather(x: Storage, xShape: Shape, axis: number, index: Storage, indexShape: Shape): Storage {
    checkDTypes('gather', x.dtype);
    const n = sizeOf(indexShape);
    const out = this.make(x.dtype, n);
    gatherKernel(this.rt, this.buf(x), x.dtype, xShape, axis, this.buf(index), indexShape, out.buffer, n);
    return out;
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
    checkDTypes('scatterAdd', base.dtype);
    const out = this.make(base.dtype, base.size);
    this.rt.copy(this.buf(base), out.buffer, base.size * 4);
    const n = sizeOf(indexShape);
    scatterAddKernel(
      this.rt,
      out.buffer,
      base.dtype,
      baseShape,
      axis,
      this.buf(index),
      indexShape,
      this.buf(src),
      srcShape,
      n,
    );
    return out;
  }
}
