/**
 * The worker side of the wasm backend's thread pool (see threads.ts): instantiates the kernels on
 * the shared memory and serves jobs posted through a control slot in that memory. Browser-safe: a
 * Node worker_threads entry (src/node/wasm-worker.ts) or a Web Worker script calls runWorker with
 * the one message it receives.
 */

/** Int32 words per worker slot: 128 bytes, so that two slots never share a cache line. */
export const SLOT_INTS = 32;
export const SLOT_BYTES = SLOT_INTS * 4;
/** Word indexes in a slot. */
export const W = {
  /** Job counter: the main thread bumps it to post a job. */
  seq: 0,
  /** The last job finished. */
  done: 1,
  /** 1 while the worker sleeps in Atomics.wait (the main thread then notifies). */
  sleeping: 2,
  /** 1 once the worker has instantiated the kernels. */
  ready: 3,
  /** The kernel to run (FN), or QUIT. */
  fn: 4,
  /** 1 when the last job threw. */
  error: 5,
  /** Microseconds to spin before sleeping (0 when threads outnumber cores). */
  spin: 6,
  /** 1 while the main thread sleeps waiting for `done`. */
  mainSleeping: 7,
  /** The kernel's arguments (all i32), up to 12 (words 8–19). */
  args: 8,
  /**
   * -seq while job seq is unclaimed; whoever swaps it first runs it: the worker (to seq) or the
   * main thread (to 0), which so never waits on a worker that has not started its job yet.
   */
  claim: 20,
} as const;
export const MAX_ARGS = 12;
/** Kernel codes: the exports a worker can run. */
export const FN = {
  gemm: 0,
  unary: 1,
  binary: 2,
  reduceRows: 3,
  convImages: 4,
  maxpool: 5,
  maxpoolBackward: 6,
  adam: 7,
  layerNorm: 8,
  layerNormBackward: 9,
  layerNormParams: 10,
} as const;
export const QUIT = -1;
/** The exports by kernel code. */
export const EXPORTS = [
  'gemm',
  'unary',
  'binary',
  'reduce_rows',
  'conv_images',
  'maxpool2d',
  'maxpool2d_backward',
  'adam_step_block',
  'layernorm_rows',
  'layernorm_backward_rows',
  'layernorm_backward_params',
] as const;

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of slot 0 of the control block. */
  control: number;
  /** This worker's slot. */
  index: number;
}

type Kernel = (...args: number[]) => void;

/** Spins up to `micros` µs until `ctl[word]` differs from `value`; true when it did. */
export function spinUntilChanged(ctl: Int32Array, word: number, value: number, micros: number): boolean {
  if (Atomics.load(ctl, word) !== value) return true;
  if (micros <= 0) return false;
  const end = performance.now() + micros / 1000;
  for (;;) {
    // Reading the clock costs far more than a load: check it every so often.
    for (let i = 0; i < 64; i++) if (Atomics.load(ctl, word) !== value) return true;
    if (performance.now() > end) return Atomics.load(ctl, word) !== value;
  }
}

/** Serves jobs until told to quit. Blocks the worker's thread (its event loop does not run). */
export function runWorker(init: WorkerInit): void {
  const { module, memory, control, index } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const fns = EXPORTS.map((name) => instance.exports[name] as Kernel);
  // The control block lies in memory that existed before this worker started: growth never moves it.
  const ctl = new Int32Array(memory.buffer, control + index * SLOT_BYTES, SLOT_INTS);
  const a = W.args;
  Atomics.store(ctl, W.ready, 1);
  let seen = 0;
  for (;;) {
    if (!spinUntilChanged(ctl, W.seq, seen, Atomics.load(ctl, W.spin))) {
      // The main thread notifies only when it sees `sleeping` set; Atomics.wait rechecks seq first.
      Atomics.store(ctl, W.sleeping, 1);
      Atomics.wait(ctl, W.seq, seen);
      Atomics.store(ctl, W.sleeping, 0);
      continue;
    }
    seen = Atomics.load(ctl, W.seq);
    const fn = ctl[W.fn];
    if (fn === QUIT) return;
    if (Atomics.compareExchange(ctl, W.claim, -seen, seen) === -seen) {
      try {
        fns[fn](
          ctl[a],
          ctl[a + 1],
          ctl[a + 2],
          ctl[a + 3],
          ctl[a + 4],
          ctl[a + 5],
          ctl[a + 6],
          ctl[a + 7],
          ctl[a + 8],
          ctl[a + 9],
          ctl[a + 10],
          ctl[a + 11],
        );
        ctl[W.error] = 0;
      } catch {
        ctl[W.error] = 1;
      }
    }
    Atomics.store(ctl, W.done, seen);
    if (Atomics.load(ctl, W.mainSleeping) === 1) Atomics.notify(ctl, W.done);
  }
}
