import { BackendError } from '../../tensor/errors.js';
import { KERNELS_RELAXED, KERNELS_SIMD } from './generated/kernels.js';

/**
 * The kernels' exports (see scripts/wasm/). Pointers are byte offsets into the shared memory, data is
 * float32, flags are 0/1.
 */
export interface Kernels {
  gemm(
    a: number,
    b: number,
    c: number,
    M: number,
    N: number,
    K: number,
    transA: number,
    transB: number,
    rowStart: number,
    rowEnd: number,
    scratch: number,
    /** 1: C += op(A)·op(B). */
    accumulate: number,
  ): void;
  gemm_scratch_bytes(M: number, N: number, K: number): number;
  /**
   * One image's receptive fields (img: [C, H, W]) as the [C·KH·KW, OH·OW] matrix mat with row stride
   * ld; the args after ld: C, H, W, KH, KW, stride h/w, padding top/left, dilation h/w, OH, OW.
   */
  im2col(img: number, mat: number, ld: number, ...geometry: number[]): void;
  /**
   * One convolution pass over images n0..n1 (kind 0 forward, 1 input gradient, 2 weight gradient),
   * its sizes in a parameter block (see src/backend/wasm/conv.ts), into c.
   */
  conv_images(
    kind: number,
    prm: number,
    n0: number,
    n1: number,
    cols: number,
    scratch: number,
    c: number,
  ): void;
  /** The adjoint: img += the matrix's entries at their input positions (same arguments). */
  col2im(img: number, mat: number, ld: number, ...geometry: number[]): void;
  binary(
    op: number,
    a: number,
    b: number,
    out: number,
    rows: number,
    cols: number,
    aRowStride: number,
    aColStride: number,
    bRowStride: number,
    bColStride: number,
  ): void;
  unary(op: number, x: number, out: number, n: number): void;
  reduce_rows(op: number, x: number, out: number, rows: number, cols: number): void;
  reduce_cols(op: number, x: number, out: number, rows: number, cols: number): void;
  softmax_rows(x: number, out: number, rows: number, cols: number, log: number): void;
  fill(out: number, n: number, value: number): void;
  /** dst (contiguous) = src walked over 4 dims (sizes n, element strides s, innermost last). */
  strided_gather(
    src: number,
    dst: number,
    n0: number,
    s0: number,
    n1: number,
    s1: number,
    n2: number,
    s2: number,
    n3: number,
    s3: number,
  ): void;
  /** The adjoint: base walked over 4 dims += src (contiguous). */
  strided_scatter_add(
    base: number,
    src: number,
    n0: number,
    s0: number,
    n1: number,
    s1: number,
    n2: number,
    s2: number,
    n3: number,
    s3: number,
  ): void;
  copy(src: number, dst: number, n: number): void;
  /** One Adam/AdamW step in place (scripts/wasm/optim.mjs); the floats are f32 parameters. */
  adam_step(p: number, g: number, m: number, v: number, n: number, ...hyper: number[]): void;
  /** adam_step with the hyper-parameters at prm (9 f32, then decoupled and maximize as i32). */
  adam_step_block(p: number, g: number, m: number, v: number, n: number, prm: number): void;
  /** Layer norm of rows × cols (scripts/wasm/layernorm.mjs); eps as float32 bits; flags: 1 weight, 2 bias. */
  layernorm_rows(
    x: number,
    y: number,
    mean: number,
    rstd: number,
    w: number,
    b: number,
    rows: number,
    cols: number,
    epsBits: number,
    flags: number,
  ): void;
  /** Its backward by rows: dx; flags bit 1: a weight. */
  layernorm_backward_rows(
    g: number,
    x: number,
    mean: number,
    rstd: number,
    w: number,
    dx: number,
    rows: number,
    cols: number,
    flags: number,
  ): void;
  /** Σ_rows g·x̂ and Σ_rows g for columns c0..c1. */
  layernorm_backward_params(
    g: number,
    x: number,
    mean: number,
    rstd: number,
    dw: number,
    db: number,
    rows: number,
    cols: number,
    c0: number,
    c1: number,
  ): void;
  /** Max pooling of [planes, H, W] (scripts/wasm/pool.mjs); prm: H, W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw. */
  maxpool2d(x: number, vals: number, idx: number, planes: number, prm: number): void;
  /** rows × cols floats in place: + bias[r] (act bit 1), then ReLU (bit 2) (scripts/wasm/conv.mjs). */
  bias_act(c: number, bias: number, rows: number, cols: number, act: number): void;
  /** Max pooling's backward over planes of HW inputs and P outputs; stores 1 at `bad` on a bad position. */
  maxpool2d_backward(
    gy: number,
    idx: number,
    gx: number,
    planes: number,
    HW: number,
    P: number,
    bad: number,
  ): void;
  /** out[r·n + index[r·m + j]] += src[r·m + j]; 1 (nothing written) when an index is outside [0, n). */
  scatter_add_rows(out: number, index: number, src: number, rows: number, n: number, m: number): number;
  /** Batch norm over outer·channels runs of inner floats (scripts/wasm/batchnorm.mjs); scratch: 2·C f64. */
  bn_stats(
    x: number,
    outer: number,
    channels: number,
    inner: number,
    mean: number,
    variance: number,
    scratch: number,
  ): void;
  bn_apply(
    x: number,
    out: number,
    outer: number,
    channels: number,
    inner: number,
    scale: number,
    shift: number,
    center: number,
  ): void;
  bn_backward_sums(
    g: number,
    x: number,
    outer: number,
    channels: number,
    inner: number,
    mean: number,
    scratch: number,
  ): void;
  bn_backward_dx(
    g: number,
    x: number,
    dx: number,
    outer: number,
    channels: number,
    inner: number,
    mean: number,
    coef: number,
  ): void;
}

export interface LoadedKernels {
  kernels: Kernels;
  /** Whether the relaxed-SIMD (fused multiply-add) variant was picked. */
  relaxed: boolean;
  /** The compiled module, for worker threads that instantiate it on the same memory. */
  module: WebAssembly.Module;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  // atob exists in browsers and in Node ≥ 16, so the core needs no Node module.
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Compiles and instantiates the kernels on `memory`, synchronously: the module is far below the
 * 8 MB that Chromium allows for synchronous compilation on a page's main thread. Picks the
 * relaxed-SIMD variant when the runtime validates it (Node 20 needs a V8 flag for that, which the
 * Node entry point sets before anything compiles).
 */
export function loadKernels(memory: WebAssembly.Memory): LoadedKernels {
  if (typeof WebAssembly !== 'object') {
    throw new BackendError('wasm: this runtime has no WebAssembly');
  }
  const relaxedBytes = decode(KERNELS_RELAXED);
  const simdBytes = decode(KERNELS_SIMD);
  const relaxed = WebAssembly.validate(relaxedBytes);
  if (!relaxed && !WebAssembly.validate(simdBytes)) {
    throw new BackendError('wasm: this runtime does not support WebAssembly SIMD');
  }
  const module = new WebAssembly.Module(relaxed ? relaxedBytes : simdBytes);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { kernels: instance.exports as unknown as Kernels, relaxed, module };
}
