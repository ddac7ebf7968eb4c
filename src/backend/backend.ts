import type { DType, TypedArray } from '../tensor/dtype.js';
import { BackendError } from '../tensor/errors.js';
import type { Shape } from '../tensor/shape.js';

/**
 * A backend's handle on a tensor's elements. Ops never look inside: only the backend that made it
 * does, so a device backend can keep the data on the device. `version` counts in-place writes so
 * that autodiff can detect a saved tensor that was modified (shared by all views of the storage).
 */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  readonly size: number;
  version: number;
}

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'expm1'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sign'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'erf'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'reciprocal'
  | 'logicalNot'
  | 'isnan'
  | 'isinf';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr';

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';
export type CumulativeOp = 'sum' | 'prod';

/** The activations a fused linear kernel applies to its output. */
export type LinearActivation = 'none' | 'relu';

/** Hyper-parameters of one Adam/AdamW step (see Backend.adamStep). */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: p ← p·(1 − lr·weightDecay) instead of adding weightDecay·p to the gradient. */
  decoupled: boolean;
  maximize: boolean;
  /** The step number after this update (1 for the first), for the bias corrections. */
  step: number;
}

/** A pooling window: kernel, stride, padding, dilation and output size, each [height, width]. */
export interface PoolWindow {
  k: readonly number[];
  s: readonly number[];
  p: readonly number[];
  d: readonly number[];
  out: readonly number[];
}

/**
 * The geometry of a 2-D convolution of [N, C, H, W] by [O, C/groups, KH, KW]: stride, padding
 * before (top, left: the input is read as zeros there; padding after only shows in `out`), dilation,
 * each [height, width], the groups and the output size [OH, OW].
 */
export interface ConvGeometry {
  s: readonly number[];
  p: readonly number[];
  d: readonly number[];
  groups: number;
  out: readonly number[];
}

/**
 * The kernels every backend implements. Shapes are passed explicitly; storages are contiguous and
 * row-major. Inputs of a kernel always share one dtype (the op layer casts first), except where a
 * parameter says otherwise (indices are int32, conditions bool).
 */
export interface Backend {
  readonly name: string;
  /** False for device backends whose data can only be read asynchronously. */
  readonly canReadSync: boolean;

  /** Wraps host values (the backend may keep the array: callers hand over ownership). */
  upload(values: TypedArray): Storage;
  readSync(x: Storage): TypedArray;
  read(x: Storage): Promise<TypedArray>;
  /** Overwrites dst's elements with src's (same size and dtype): the basis of in-place ops. */
  assign(dst: Storage, src: Storage): void;
  /**
   * Optional fused optimizer step: updates the parameter p and the moments m, v in place from the
   * gradient g (one dtype), in the order of PyTorch's single-tensor Adam, with no temporaries;
   * with vmax (AMSGrad) the running maximum of v is kept there and used in the denominator.
   * Optimizers compose ordinary ops where a backend lacks it.
   */
  adamStep?(p: Storage, g: Storage, m: Storage, v: Storage, hyper: AdamHyper, vmax?: Storage | null): void;

  /**
   * Optional batch-normalization kernels over x of shape [N, C, *] (one float dtype throughout; the
   * per-channel storages have size C). batchNorm composes ordinary ops where a backend lacks them.
   *
   * batchNormStats: the mean and the biased variance of each channel over every dim but 1, as
   * [mean, variance]. The variance must not be formed as E[x²] − E[x]² in working precision (that
   * cancels when the mean is large against the spread): the reference sums in float64, two passes.
   */
  batchNormStats?(x: Storage, shape: Shape): [Storage, Storage];
  /** y = (x − center[c])·scale[c] + shift[c] in one pass (center null: 0). */
  batchNormApply?(x: Storage, shape: Shape, scale: Storage, shift: Storage, center: Storage | null): Storage;
  /**
   * The backward of training-mode batch norm y = x̂·γ + β, x̂ = (x − mean[c])·invstd[c], from the
   * output gradient g: [dx, Σg, Σg·x̂] with the sums per channel (β's and γ's gradients) and
   * dx = invstd·γ·(g − Σg/n − x̂·Σg·x̂/n), n = numel/C. weight null means γ = 1.
   */
  batchNormBackward?(
    g: Storage,
    x: Storage,
    shape: Shape,
    mean: Storage,
    invstd: Storage,
    weight: Storage | null,
  ): [Storage, Storage, Storage];

  /**
   * Optional layer norm over the last `cols` elements of each of `rows` contiguous rows: mean[r] and
   * rstd[r] = 1/√(var[r] + eps) (biased variance), y = (x − mean)·rstd, then ·weight[j] and + bias[j]
   * where given ([cols] each). Returns [y, mean, rstd], or null for a dtype it does not handle (the
   * op composes reductions and elementwise ops then).
   */
  layerNorm?(
    x: Storage,
    rows: number,
    cols: number,
    weight: Storage | null,
    bias: Storage | null,
    eps: number,
  ): [Storage, Storage, Storage] | null;
  /**
   * Its backward from the output gradient g: dx = rstd·(ĝ − Σĝ/n − x̂·Σĝx̂/n) per row, ĝ = g·weight
   * (g without one), x̂ = (x − mean)·rstd; with `params`, also Σ_rows g·x̂ and Σ_rows g ([cols]: the
   * weight's and bias's gradients). Null to decline.
   */
  layerNormBackward?(
    g: Storage,
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    rows: number,
    cols: number,
    params: boolean,
  ): [Storage, Storage | null, Storage | null] | null;

  /**
   * Optional convolution kernels (float32 and zero padding; null for a dtype they do not handle, and
   * conv2d composes im2col and a product where a backend lacks them). conv2d: y [N, O, OH, OW] from x
   * [N, C, H, W] and w [O, C/groups, KH, KW], then + bias [O] per channel when given, then the
   * activation (the epilogue of a Conv2d → ReLU pair, in the same pass). conv2dBackwardInput: ∂x from
   * ∂y and w. conv2dBackwardWeight: ∂w from ∂y and x.
   */
  conv2d?(
    x: Storage,
    xShape: Shape,
    w: Storage,
    wShape: Shape,
    geom: ConvGeometry,
    bias?: Storage | null,
    activation?: LinearActivation,
  ): Storage | null;
  conv2dBackwardInput?(
    g: Storage,
    w: Storage,
    xShape: Shape,
    wShape: Shape,
    geom: ConvGeometry,
  ): Storage | null;
  conv2dBackwardWeight?(
    g: Storage,
    x: Storage,
    xShape: Shape,
    wShape: Shape,
    geom: ConvGeometry,
  ): Storage | null;

  /**
   * Optional fused fully connected layer: act(x·wᵀ + bias) for x [M, K], w [N, K] and bias [N] or
   * null, as [M, N] (float32; null for a dtype it does not handle, and the op composes a product,
   * an addition and the activation where a backend lacks it). One call instead of three saves passes
   * over the output and per-op work, which is what small networks pay for.
   */
  linear?(
    x: Storage,
    xShape: Shape,
    w: Storage,
    wShape: Shape,
    bias: Storage | null,
    activation: LinearActivation,
  ): Storage | null;

  /**
   * Max pooling of [N, C, H, W] (padding never wins): the maximum of each window and its int32
   * position h·W + w in the input plane (the first on ties; the last NaN wins, as in PyTorch).
   */
  maxPool2d(x: Storage, shape: Shape, window: PoolWindow): [Storage, Storage];
  /**
   * ReLU's gradient (optional: composed from a comparison and a where otherwise): 0 where y ≤ 0, else
   * g (a NaN y passes g), for g and y of one shape (y the ReLU's input or output: same sign). One pass
   * instead of two.
   */
  reluBackward?(g: Storage, y: Storage, shape: Shape): Storage | null;
  /**
   * Max pooling's gradient (optional: a scatter-add over zeros otherwise): ∂x of shape xShape from ∂y
   * ([N, C, ...out]) and maxPool2d's positions; null to decline. IndexError at a position outside
   * its plane.
   */
  maxPool2dBackward?(g: Storage, indices: Storage, xShape: Shape, window: PoolWindow): Storage | null;

  fill(size: number, value: number, dtype: DType): Storage;
  cast(x: Storage, dtype: DType): Storage;
  unary(op: UnaryOp, x: Storage, outDtype: DType): Storage;
  /** Elementwise with broadcasting of aShape and bShape to outShape. */
  binary(
    op: BinaryOp,
    a: Storage,
    aShape: Shape,
    b: Storage,
    bShape: Shape,
    outShape: Shape,
    outDtype: DType,
  ): Storage;
  where(
    cond: Storage,
    condShape: Shape,
    a: Storage,
    aShape: Shape,
    b: Storage,
    bShape: Shape,
    outShape: Shape,
  ): Storage;
  /** Reduces the given axes, keeping them as size 1. */
  reduce(op: ReduceOp, x: Storage, shape: Shape, axes: readonly number[], outDtype: DType): Storage;
  /** Index (int32) of the max/min along one axis, kept as size 1; first occurrence wins. */
  argReduce(op: ArgReduceOp, x: Storage, shape: Shape, axis: number): Storage;
  cumulative(op: CumulativeOp, x: Storage, shape: Shape, axis: number): Storage;
  /** Int32 positions that sort each line along axis (stable; NaN sorts as the largest). */
  argsort(x: Storage, shape: Shape, axis: number, descending: boolean): Storage;
  /** Batched matrix product with broadcast batch dims; trans flags read an operand transposed. */
  matmul(
    a: Storage,
    aShape: Shape,
    b: Storage,
    bShape: Shape,
    transA: boolean,
    transB: boolean,
    outShape: Shape,
  ): Storage;
  /** out[i] = x[offset + Σ index_d · strides_d] (strides may be 0 or negative). */
  asStrided(x: Storage, shape: Shape, strides: readonly number[], offset: number): Storage;
  /** The adjoint of asStrided: zeros(baseSize), then base[offset + Σ index_d · strides_d] += src[i]. */
  asStridedScatter(
    src: Storage,
    shape: Shape,
    strides: readonly number[],
    offset: number,
    baseSize: number,
  ): Storage;
  concat(xs: readonly Storage[], shapes: readonly Shape[], axis: number, outShape: Shape): Storage;
  /** out[i][j][k] = x[index[i][j][k]][j][k] for axis 0, and so on (out has index's shape). */
  gather(x: Storage, xShape: Shape, axis: number, index: Storage, indexShape: Shape): Storage;
  /** Copy of base with base[index[i][j][k]][j][k] += src[i][j][k] for axis 0, and so on. */
  scatterAdd(
    base: Storage,
    baseShape: Shape,
    axis: number,
    index: Storage,
    indexShape: Shape,
    src: Storage,
    srcShape: Shape,
  ): Storage;
}

const registry = new Map<string, () => Backend>();
const priorities = new Map<string, number>();
const instances = new Map<string, Backend>();
let current: Backend | null = null;

/**
 * Makes a backend available by name. Without a setBackend call, the first use picks the registered
 * backend of highest priority that starts here (a WebAssembly backend needs shared memory, which a
 * page without cross-origin isolation lacks), so the default is the fastest available.
 */
export function registerBackend(name: string, factory: () => Backend, priority = 0): void {
  registry.set(name, factory);
  priorities.set(name, priority);
}

export function listBackends(): string[] {
  return [...registry.keys()];
}

export function setBackend(name: string): Backend {
  const factory = registry.get(name);
  if (!factory) {
    throw new BackendError(
      `setBackend: unknown backend '${name}' (registered: ${listBackends().join(', ')})`,
    );
  }
  let b = instances.get(name);
  if (!b) {
    b = factory();
    instances.set(name, b);
  }
  current = b;
  return b;
}

export function getBackend(): Backend {
  if (current) return current;
  const byPriority = listBackends().sort((a, b) => priorities.get(b)! - priorities.get(a)!);
  if (!byPriority.length) throw new BackendError('no backend is registered');
  for (const name of byPriority.slice(0, -1)) {
    try {
      return setBackend(name);
    } catch {
      // Not available in this runtime: try the next one.
    }
  }
  return setBackend(byPriority[byPriority.length - 1]);
}
