import type { Kernels } from './loader.js';
import type { WasmHeap } from './memory.js';
import { ThreadPool, onThreadSettings, threadSettings } from './threads.js';
import { EXPORTS, FN } from './worker-loop.js';

/**
 * Work per thread below which a kernel is not split: each part must outweigh the hand-off (about
 * a µs when the worker spins, tens of µs when it must be woken) and, for GEMM, a second packing of
 * B. GEMM counts multiply-adds (2^20 ≈ 50 µs at 40 GFLOP/s), elementwise kernels elements. So the
 * small networks where per-op overhead dominates stay on one thread. Tests lower them.
 */
export const grains = { gemm: 2 ** 20, elementwise: 2 ** 17 };

/** Bytes of maxpool2d's parameter block (scripts/wasm/pool.mjs: POOL_PARAMS). */
const POOL_PARAM_WORDS = 12;

const align16 = (bytes: number): number => (bytes + 15) & ~15;

/** Splits [0, total) into `parts` ranges whose inner bounds are multiples of `align`. */
export function splitRange(total: number, parts: number, align: number): number[] {
  const bounds = [0];
  for (let p = 1; p < parts; p++) {
    const b = Math.min(total, Math.ceil((total * p) / parts / align) * align);
    bounds.push(Math.max(b, bounds[p - 1]));
  }
  bounds.push(total);
  return bounds;
}

/**
 * Runs the wasm backend's large kernels on several threads by splitting them into independent
 * ranges of output rows or elements. Each output element is computed by the same code in the same
 * order whichever thread computes it, so results equal single-threaded ones bit for bit.
 */
export class Parallel {
  private pool: ThreadPool | null = null;

  constructor(
    private readonly heap: WasmHeap,
    private readonly module: WebAssembly.Module,
    private readonly k: Kernels,
  ) {
    // Stops the workers as soon as the setting drops to one thread, not at the next large kernel.
    onThreadSettings(() => {
      if (this.pool && this.pool.size !== this.wantedSize()) this.close();
    });
  }

  /** C rows of op(A)·op(B) split across threads in blocks of 4 rows (the micro-kernel's height). */
  gemm(
    a: number,
    b: number,
    c: number,
    M: number,
    N: number,
    K: number,
    tA: number,
    tB: number,
    acc = 0,
  ): void {
    const [workers, parts] = this.plan(Math.min(Math.floor((M * N * K) / grains.gemm), M >> 2));
    const bytes = (this.k.gemm_scratch_bytes(M, N, K) + 15) & ~15;
    const scratch = this.heap.alloc(bytes * parts);
    try {
      if (parts === 1) {
        this.k.gemm(a, b, c, M, N, K, tA, tB, 0, M, scratch, acc);
        return;
      }
      const r = splitRange(M, parts, 4);
      const jobs = workers.map((_, j) => [
        a,
        b,
        c,
        M,
        N,
        K,
        tA,
        tB,
        r[j + 1],
        r[j + 2],
        scratch + bytes * (j + 1),
        acc,
      ]);
      this.pool!.run(FN.gemm, workers, jobs, () =>
        this.k.gemm(a, b, c, M, N, K, tA, tB, 0, r[1], scratch, acc),
      );
    } finally {
      this.heap.free(scratch, bytes * parts);
    }
  }

  unary(code: number, x: number, out: number, n: number): void {
    const [workers, parts] = this.plan(Math.min(Math.floor(n / grains.elementwise), n >> 2));
    if (parts === 1) return this.k.unary(code, x, out, n);
    const r = splitRange(n, parts, 4);
    const jobs = workers.map((_, j) => [code, x + 4 * r[j + 1], out + 4 * r[j + 1], r[j + 2] - r[j + 1]]);
    this.pool!.run(FN.unary, workers, jobs, () => this.k.unary(code, x, out, r[1]));
  }

  /** Split by rows, or by columns when there is one row. */
  binary(
    code: number,
    a: number,
    b: number,
    out: number,
    rows: number,
    cols: number,
    aRow: number,
    aCol: number,
    bRow: number,
    bCol: number,
  ): void {
    const byRows = rows > 1;
    const [workers, parts] = this.plan(
      Math.min(Math.floor((rows * cols) / grains.elementwise), byRows ? rows : cols >> 2),
    );
    if (parts === 1) return this.k.binary(code, a, b, out, rows, cols, aRow, aCol, bRow, bCol);
    const r = splitRange(byRows ? rows : cols, parts, byRows ? 1 : 4);
    // Element offsets of a range's start in a, b and out.
    const at = (s: number): [number, number, number] =>
      byRows ? [s * aRow, s * bRow, s * cols] : [s * aCol, s * bCol, s];
    const job = (s: number, e: number): number[] => {
      const [oa, ob, oo] = at(s);
      const [nr, nc] = byRows ? [e - s, cols] : [1, e - s];
      return [code, a + 4 * oa, b + 4 * ob, out + 4 * oo, nr, nc, aRow, aCol, bRow, bCol];
    };
    const jobs = workers.map((_, j) => job(r[j + 1], r[j + 2]));
    const own = job(0, r[1]);
    this.pool!.run(FN.binary, workers, jobs, () =>
      this.k.binary(code, own[1], own[2], own[3], own[4], own[5], aRow, aCol, bRow, bCol),
    );
  }

  /** Split by rows: each row's reduction stays on one thread, in the same order. */
  reduceRows(code: number, x: number, out: number, rows: number, cols: number): void {
    const [workers, parts] = this.plan(Math.min(Math.floor((rows * cols) / grains.elementwise), rows));
    if (parts === 1) return this.k.reduce_rows(code, x, out, rows, cols);
    const r = splitRange(rows, parts, 1);
    const jobs = workers.map((_, j) => [
      code,
      x + 4 * r[j + 1] * cols,
      out + 4 * r[j + 1],
      r[j + 2] - r[j + 1],
      cols,
    ]);
    this.pool!.run(FN.reduceRows, workers, jobs, () => this.k.reduce_rows(code, x, out, r[1], cols));
  }

  /**
   * One convolution pass (kind: 0 forward, 1 input gradient, 2 weight gradient; `work` its
   * multiply-adds) over n images split across threads: each part gets its own column matrix and GEMM
   * scratch, and for the weight gradient its own ∂w (cFloats), added into c at the end (so the sum
   * over images is grouped by thread: equal to one thread's up to rounding).
   */
  convImages(
    kind: number,
    prm: number,
    n: number,
    work: number,
    colsFloats: number,
    scratchBytes: number,
    c: number,
    cFloats: number,
  ): void {
    const [workers, parts] = this.plan(Math.min(Math.floor(work / grains.gemm), n));
    const [cols, scratch] = [align16(colsFloats * 4), align16(scratchBytes)];
    const per = cols + scratch + (kind === 2 ? align16(cFloats * 4) : 0);
    const block = this.heap.alloc(per * parts);
    const at = (j: number): number => block + per * j;
    const out = (j: number): number => (kind === 2 && j > 0 ? at(j) + cols + scratch : c);
    try {
      if (parts === 1) return this.k.conv_images(kind, prm, 0, n, at(0), at(0) + cols, c);
      const r = splitRange(n, parts, 1);
      const jobs = workers.map((_, j) => [
        kind,
        prm,
        r[j + 1],
        r[j + 2],
        at(j + 1),
        at(j + 1) + cols,
        out(j + 1),
      ]);
      this.pool!.run(FN.convImages, workers, jobs, () =>
        this.k.conv_images(kind, prm, 0, r[1], at(0), at(0) + cols, c),
      );
      if (kind === 2) {
        const mem = new Float32Array(this.heap.memory.buffer);
        for (let j = 1; j < parts; j++) {
          for (let i = 0, a = c >> 2, b = out(j) >> 2; i < cFloats; i++) mem[a + i] += mem[b + i];
        }
      }
    } finally {
      this.heap.free(block, per * parts);
    }
  }

  /**
   * Max pooling of `planes` planes of H×W (geometry: POOL_PARAMS' order), split by planes: values to
   * vals, positions to idx.
   */
  maxpool(x: number, vals: number, idx: number, planes: number, geometry: readonly number[]): void {
    const [H, W, OH, OW] = geometry;
    const prm = this.heap.alloc(4 * POOL_PARAM_WORDS);
    try {
      new Int32Array(this.heap.memory.buffer, prm, POOL_PARAM_WORDS).set(geometry);
      const [inner, outer] = [4 * H * W, 4 * OH * OW];
      this.split(FN.maxpool, planes, (planes * H * W) / grains.elementwise, 1, (s, e) => [
        x + inner * s,
        vals + outer * s,
        idx + outer * s,
        e - s,
        prm,
      ]);
    } finally {
      this.heap.free(prm, 4 * POOL_PARAM_WORDS);
    }
  }

  /**
   * Max pooling's backward, split by planes: gx (planes × HW) from gy and the positions idx (planes × P).
   * False when a position lies outside its plane (gx is then partly written).
   */
  maxpoolBackward(gy: number, idx: number, gx: number, planes: number, HW: number, P: number): boolean {
    // A flag word per part: one part per thread at most.
    const words = Math.max(1, threadSettings().threads);
    const flags = this.heap.alloc(4 * words);
    try {
      new Int32Array(this.heap.memory.buffer, flags, words).fill(0);
      this.split(FN.maxpoolBackward, planes, (planes * HW) / grains.elementwise, 1, (s, e, j) => [
        gy + 4 * P * s,
        idx + 4 * P * s,
        gx + 4 * HW * s,
        e - s,
        HW,
        P,
        flags + 4 * j,
      ]);
      return new Int32Array(this.heap.memory.buffer, flags, words).every((f) => f === 0);
    } finally {
      this.heap.free(flags, 4 * words);
    }
  }

  /**
   * One Adam step over n parameters in place, split into ranges (each element's update is the same
   * whichever thread makes it). hyper: the 9 float and 2 flag words of adam_step_block.
   */
  adam(p: number, g: number, m: number, v: number, n: number, hyper: readonly number[]): void {
    const prm = this.heap.alloc(4 * hyper.length);
    try {
      new Float32Array(this.heap.memory.buffer, prm, 9).set(hyper.slice(0, 9));
      new Int32Array(this.heap.memory.buffer, prm + 36, 2).set(hyper.slice(9));
      // Seven streams per element (three read, then three written back, and the gradient): a quarter
      // of an elementwise kernel's grain is as much work.
      this.split(FN.adam, n, (4 * n) / grains.elementwise, 4, (s, e) => [
        p + 4 * s,
        g + 4 * s,
        m + 4 * s,
        v + 4 * s,
        e - s,
        prm,
      ]);
    } finally {
      this.heap.free(prm, 4 * hyper.length);
    }
  }

  /**
   * Layer norm of rows × cols split by rows (each row's statistics on one thread, so any split gives
   * the same bits). a: x, y, mean, rstd, w, b; then epsBits and flags.
   */
  layerNorm(a: readonly number[], rows: number, cols: number, epsBits: number, flags: number): void {
    const [x, y, mean, rstd, w, b] = a;
    this.split(FN.layerNorm, rows, (rows * cols) / grains.elementwise, 1, (s, e) => [
      x + 4 * s * cols,
      y + 4 * s * cols,
      mean + 4 * s,
      rstd + 4 * s,
      w,
      b,
      e - s,
      cols,
      epsBits,
      flags,
    ]);
  }

  /**
   * Layer norm's backward: dx split by rows; with dw and db (nonzero), their column sums split by
   * columns (each column summed over the rows in order by one thread).
   */
  layerNormBackward(a: readonly number[], rows: number, cols: number, flags: number): void {
    const [g, x, mean, rstd, w, dx, dw, db] = a;
    const work = (rows * cols) / grains.elementwise;
    this.split(FN.layerNormBackward, rows, work, 1, (s, e) => [
      g + 4 * s * cols,
      x + 4 * s * cols,
      mean + 4 * s,
      rstd + 4 * s,
      w,
      dx + 4 * s * cols,
      e - s,
      cols,
      flags,
    ]);
    if (dw) {
      this.split(FN.layerNormParams, cols, work, 4, (s, e) => [g, x, mean, rstd, dw, db, rows, cols, s, e]);
    }
  }

  /**
   * Runs kernel `fn` over [0, total) in ranges, one per part, their inner bounds multiples of
   * `align`: at most `work` parts (work in grains) and no more than total / align. `job(s, e, j)` gives
   * part j's arguments for the range [s, e); the calling thread runs part 0, the workers the others.
   */
  private split(
    fn: number,
    total: number,
    work: number,
    align: number,
    job: (s: number, e: number, j: number) => number[],
  ): void {
    const kernel = this.k[EXPORTS[fn]] as (...args: number[]) => void;
    const [workers, parts] = this.plan(Math.min(Math.floor(work), Math.floor(total / align)));
    if (parts === 1) return kernel(...job(0, total, 0));
    const r = splitRange(total, parts, align);
    const jobs = workers.map((_, j) => job(r[j + 1], r[j + 2], j + 1));
    this.pool!.run(fn, workers, jobs, () => kernel(...job(0, r[1], 0)));
  }

  /** Resolves when the workers for the current thread setting have started (true) or failed. */
  async whenReady(): Promise<boolean> {
    const pool = this.current();
    return pool ? pool.whenReady() : true;
  }

  /** Workers started and ready, and the jobs they were given (for tests and diagnostics). */
  stats(): { workers: number; ready: number; jobs: number; wakes: number; steals: number } {
    const p = this.pool;
    const ready = p?.readyWorkers().length ?? 0;
    return { workers: p?.size ?? 0, ready, jobs: p?.jobs ?? 0, wakes: p?.wakes ?? 0, steals: p?.steals ?? 0 };
  }

  /** Stops the workers (they start again at the next large kernel if threads are set). */
  close(): void {
    this.pool?.close();
    this.pool = null;
  }

  /**
   * The workers to use and the number of parts (workers + the calling thread) for a kernel that
   * can be split into at most `maxParts` worthwhile parts. Workers still starting are left out.
   */
  private plan(maxParts: number): [number[], number] {
    if (maxParts < 2) return [[], 1];
    const pool = this.current();
    if (!pool) return [[], 1];
    const workers = pool.readyWorkers().slice(0, maxParts - 1);
    return [workers, workers.length + 1];
  }

  /** The pool for the current setting, (re)started when the setting changed. */
  private current(): ThreadPool | null {
    const size = this.wantedSize();
    if (this.pool && this.pool.size === size) return this.pool;
    this.close();
    const { factory, cores } = threadSettings();
    if (size > 0) this.pool = new ThreadPool(this.heap, this.module, size, factory!, cores, this.k);
    return this.pool;
  }

  private wantedSize(): number {
    const { factory, threads } = threadSettings();
    return factory ? threads - 1 : 0;
  }
}
