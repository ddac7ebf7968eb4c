import type { DType, TypedArray } from '../../tensor/dtype.js';
import { castScalar, dtypeOfTypedArray, typedArrayFor } from '../../tensor/dtype.js';
import type { Shape } from '../../tensor/shape.js';
import { sizeOf } from '../../tensor/shape.js';
import { IndexError, fmtShape } from '../../tensor/errors.js';
import type {
  AdamHyper,
  ArgReduceOp,
  Backend,
  BinaryOp,
  CumulativeOp,
  PoolWindow,
  ReduceOp,
  Storage,
  UnaryOp,
} from '../backend.js';
import { registerBackend } from '../backend.js';
import { adamLoop } from '../shared/adam.js';
import { batchNormApplyLoop, batchNormBackwardLoop, batchNormStatsLoop } from './batchnorm.js';
import { BINARY, UNARY, arithmeticFastPath, binaryLoop, unaryLoop, whereLoop } from './elementwise.js';
import { asStridedLoop, asStridedScatterLoop, concatLoop, gatherLoop, scatterAddLoop } from './layout.js';
import { matmulLoop } from './matmul.js';
import { layerNormBackwardLoop, layerNormLoop } from './layernorm.js';
import { maxPool2dBackwardLoop, maxPool2dLoop } from './pool.js';
import { argReduceLoop, argsortLoop, cumulativeLoop, reduceLoop } from './reduce.js';
import { JsStorage, vals } from './storage.js';

/** The reference backend: plain TypeScript loops over typed arrays. Readable, exact, float64-capable. */
export class JsBackend implements Backend {
  readonly name = 'js';
  readonly canReadSync = true;

  private make(dtype: DType, size: number): [JsStorage, TypedArray] {
    const values = typedArrayFor(dtype, size);
    return [new JsStorage(this, values, dtype), values];
  }

  upload(values: TypedArray): Storage {
    return new JsStorage(this, values, dtypeOfTypedArray(values));
  }

  readSync(x: Storage): TypedArray {
    return vals(x);
  }

  read(x: Storage): Promise<TypedArray> {
    return Promise.resolve(vals(x));
  }

  assign(dst: Storage, src: Storage): void {
    vals(dst).set(vals(src));
  }

  adamStep(p: Storage, g: Storage, m: Storage, v: Storage, hyper: AdamHyper, vmax?: Storage | null): void {
    adamLoop(vals(p), vals(g), vals(m), vals(v), hyper, vmax ? vals(vmax) : null);
  }

  batchNormStats(x: Storage, shape: Shape): [Storage, Storage] {
    const [mean, m] = this.make(x.dtype, shape[1]);
    const [variance, v] = this.make(x.dtype, shape[1]);
    batchNormStatsLoop(vals(x), shape, m, v);
    return [mean, variance];
  }

  batchNormApply(x: Storage, shape: Shape, scale: Storage, shift: Storage, center: Storage | null): Storage {
    const [s, v] = this.make(x.dtype, x.size);
    batchNormApplyLoop(vals(x), shape, vals(scale), vals(shift), center ? vals(center) : null, v);
    return s;
  }

  batchNormBackward(
    g: Storage,
    x: Storage,
    shape: Shape,
    mean: Storage,
    invstd: Storage,
    weight: Storage | null,
  ): [Storage, Storage, Storage] {
    const [dx, d] = this.make(x.dtype, x.size);
    const [sumG, sg] = this.make(x.dtype, shape[1]);
    const [sumGXhat, sgx] = this.make(x.dtype, shape[1]);
    const w = weight ? vals(weight) : null;
    batchNormBackwardLoop(vals(g), vals(x), shape, vals(mean), vals(invstd), w, d, sg, sgx);
    return [dx, sumG, sumGXhat];
  }

  maxPool2d(x: Storage, shape: Shape, window: PoolWindow): [Storage, Storage] {
    const size = shape[0] * shape[1] * window.out[0] * window.out[1];
    const [values, v] = this.make(x.dtype, size);
    const [indices, i] = this.make('int32', size);
    maxPool2dLoop(vals(x), shape, window, v, i as Int32Array);
    return [values, indices];
  }

  layerNorm(
    x: Storage,
    rows: number,
    cols: number,
    weight: Storage | null,
    bias: Storage | null,
    eps: number,
  ): [Storage, Storage, Storage] {
    const [y, yv] = this.make(x.dtype, rows * cols);
    const [mean, m] = this.make(x.dtype, rows);
    const [rstd, r] = this.make(x.dtype, rows);
    layerNormLoop(vals(x), rows, cols, weight && vals(weight), bias && vals(bias), eps, yv, m, r);
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
  ): [Storage, Storage | null, Storage | null] {
    const [dx, d] = this.make(x.dtype, rows * cols);
    const [dw, dwv] = params ? this.make(x.dtype, cols) : [null, null];
    const [db, dbv] = params ? this.make(x.dtype, cols) : [null, null];
    const w = weight && vals(weight);
    layerNormBackwardLoop(vals(g), vals(x), vals(mean), vals(rstd), w, rows, cols, d, dwv, dbv);
    return [dx, dw, db];
  }

  reluBackward(g: Storage, y: Storage, shape: Shape): Storage {
    const [out, o] = this.make(g.dtype, sizeOf(shape));
    const [gv, yv] = [vals(g), vals(y)];
    for (let i = 0; i < o.length; i++) o[i] = yv[i] <= 0 ? 0 : gv[i];
    return out;
  }

  maxPool2dBackward(g: Storage, indices: Storage, xShape: Shape, window: PoolWindow): Storage {
    const [n, c, h, w] = xShape;
    const [gx, d] = this.make(g.dtype, n * c * h * w);
    const idx = vals(indices) as Int32Array;
    const bad = maxPool2dBackwardLoop(vals(g), idx, d, n * c, h * w, window.out[0] * window.out[1]);
    if (bad >= 0) {
      const at = idx[bad];
      throw new IndexError(
        `maxPool2d backward: position ${at} of output ${bad} is outside its input plane of ${h}×${w} (input ${fmtShape(xShape)})`,
      );
    }
    return gx;
  }

  fill(size: number, value: number, dtype: DType): Storage {
    const [s, v] = this.make(dtype, size);
    v.fill(castScalar(value, dtype));
    return s;
  }

  cast(x: Storage, dtype: DType): Storage {
    const [s, v] = this.make(dtype, x.size);
    const src = vals(x);
    if (dtype === 'int32') for (let i = 0; i < src.length; i++) v[i] = Math.trunc(src[i]);
    else if (dtype === 'bool')
      for (let i = 0; i < src.length; i++) v[i] = src[i] !== 0 ? 1 : 0; // NaN is true
    else v.set(src);
    return s;
  }

  unary(op: UnaryOp, x: Storage, outDtype: DType): Storage {
    const [s, v] = this.make(outDtype, x.size);
    unaryLoop(UNARY[op], vals(x), v);
    return s;
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
    const [s, v] = this.make(outDtype, sizeOf(outShape));
    let fn = BINARY[op];
    // Integer division truncates toward zero only in the trunc mode; PyTorch's `/` is true division,
    // which the op layer handles by casting, so int32 here only sees exact ops.
    if (op === 'div' && outDtype === 'int32') fn = (p, q) => Math.floor(p / q);
    if (!(op === 'div' && outDtype === 'int32') && arithmeticFastPath(op, vals(a), vals(b), v)) return s;
    binaryLoop(fn, vals(a), aShape, vals(b), bShape, outShape, v);
    return s;
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
    const [s, v] = this.make(a.dtype, sizeOf(outShape));
    whereLoop(vals(cond), condShape, vals(a), aShape, vals(b), bShape, outShape, v);
    return s;
  }

  reduce(op: ReduceOp, x: Storage, shape: Shape, axes: readonly number[], outDtype: DType): Storage {
    const outSize = sizeOf(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
    const [s, v] = this.make(outDtype, outSize);
    reduceLoop(op, vals(x), shape, axes, v);
    return s;
  }

  argReduce(op: ArgReduceOp, x: Storage, shape: Shape, axis: number): Storage {
    const [s, v] = this.make('int32', sizeOf(shape) / Math.max(shape[axis], 1));
    argReduceLoop(op, vals(x), shape, axis, v as Int32Array);
    return s;
  }

  cumulative(op: CumulativeOp, x: Storage, shape: Shape, axis: number): Storage {
    const [s, v] = this.make(x.dtype, x.size);
    cumulativeLoop(op, vals(x), shape, axis, v);
    return s;
  }

  argsort(x: Storage, shape: Shape, axis: number, descending: boolean): Storage {
    const [s, v] = this.make('int32', x.size);
    argsortLoop(vals(x), shape, axis, descending, v as Int32Array);
    return s;
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
    const [s, v] = this.make(a.dtype, sizeOf(outShape));
    matmulLoop(vals(a), aShape, vals(b), bShape, transA, transB, outShape, v);
    return s;
  }

  asStrided(x: Storage, shape: Shape, strides: readonly number[], offset: number): Storage {
    const [s, v] = this.make(x.dtype, sizeOf(shape));
    asStridedLoop(vals(x), shape, strides, offset, v);
    return s;
  }

  asStridedScatter(
    src: Storage,
    shape: Shape,
    strides: readonly number[],
    offset: number,
    baseSize: number,
  ): Storage {
    const [s, v] = this.make(src.dtype, baseSize);
    asStridedScatterLoop(vals(src), shape, strides, offset, v);
    return s;
  }

  concat(xs: readonly Storage[], shapes: readonly Shape[], axis: number, outShape: Shape): Storage {
    const [s, v] = this.make(xs[0].dtype, sizeOf(outShape));
    concatLoop(xs.map(vals), shapes, axis, v);
    return s;
  }

  gather(x: Storage, xShape: Shape, axis: number, index: Storage, indexShape: Shape): Storage {
    const [s, v] = this.make(x.dtype, sizeOf(indexShape));
    gatherLoop(vals(x), xShape, axis, vals(index) as Int32Array, indexShape, v);
    return s;
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
    const [s, v] = this.make(base.dtype, base.size);
    v.set(vals(base));
    scatterAddLoop(v, baseShape, axis, vals(index) as Int32Array, indexShape, vals(src), srcShape);
    return s;
  }
}

registerBackend('js', () => new JsBackend());
