import { BackendError } from '../../tensor/errors.js';
import type { WasmHeap } from './memory.js';
import type { WorkerInit } from './worker-loop.js';
import { EXPORTS, QUIT, SLOT_BYTES, SLOT_INTS, W, spinUntilChanged } from './worker-loop.js';

/**
 * What the pool needs of a worker: Node's worker_threads Worker and a browser's Web Worker both
 * fit. The worker must call runWorker (worker-loop.ts) with the one message it is posted.
 */
export interface PoolWorker {
  postMessage(message: WorkerInit): void;
  terminate(): unknown;
}

/**
 * Starts a worker; `onError` is to be called if it fails (to load, say), so that the pool stops
 * counting on it. A Node factory should also unref() the worker, so that it never keeps a process
 * alive.
 */
export type WorkerFactory = (onError: (error: unknown) => void) => PoolWorker;

const config = { factory: null as WorkerFactory | null, cores: 1, threads: 1 };
const listeners: (() => void)[] = [];

/** Calls `f` after each change of the settings (a backend stops its workers when they drop to 1). */
export function onThreadSettings(f: () => void): void {
  listeners.push(f);
}

function changed(): void {
  for (const f of listeners) f();
}

/**
 * Lets the wasm backend run kernels on worker threads: the core never starts a worker itself (it
 * cannot know how in every runtime). The package's Node entry registers a worker_threads factory;
 * in a browser, a Web Worker factory can be registered when SharedArrayBuffer is available (a
 * cross-origin isolated page). `cores` bounds spinning; `numThreads` sets the thread count.
 */
export function setWorkerFactory(
  factory: WorkerFactory | null,
  opts: { cores?: number; numThreads?: number } = {},
): void {
  const threads = factory ? checkThreads('setWorkerFactory', opts.numThreads ?? config.threads) : 1;
  config.factory = factory;
  config.cores = Math.max(1, Math.floor(opts.cores ?? config.cores));
  config.threads = threads;
  changed();
}

function checkThreads(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new BackendError(`${what}: the number of threads must be an integer from 1 to 1024, got ${n}`);
  }
  return n;
}

/**
 * Sets the number of threads the wasm backend's large kernels run on (the calling thread
 * included), as torch.set_num_threads. More than 1 needs a registered worker factory (the Node
 * entry point registers one).
 */
export function setNumThreads(n: number): void {
  checkThreads('setNumThreads', n);
  if (n > 1 && !config.factory) {
    throw new BackendError(
      `setNumThreads: ${n} threads need worker threads, and no worker factory is registered ` +
        '(in Node, import the package itself, whose Node entry registers one)',
    );
  }
  config.threads = n;
  changed();
}

/** The number of threads set by setNumThreads (1 by default in the core). */
export function getNumThreads(): number {
  return config.threads;
}

export function threadSettings(): Readonly<typeof config> {
  return config;
}

/**
 * How long (µs) an idle worker spins before it sleeps, and the calling thread before it sleeps on a
 * worker. Read when a pool starts. Measured on a 2-vCPU machine: back-to-back kernels hand off in
 * ~2 µs with a 500 µs spin, but the spin is wall time, so a worker preempted by other processes
 * still finds it expired and must be woken (~110 µs there under load); and while other processes
 * hold a core, a spinning worker takes CPU from the calling thread.
 */
export const spinMicros = { worker: 500, main: 1000 };

/**
 * Worker threads that run the kernels' module on the backend's shared memory. A job is posted
 * through a control block in that memory: arguments, then a bumped sequence number; the worker
 * spins on it for a while before sleeping in Atomics.wait (a wake-up costs tens of µs, a spinning
 * hand-off well under one). Spinning only while threads do not outnumber cores: otherwise a
 * spinning thread takes the core from one with work.
 */
export class ThreadPool {
  private readonly workers: (PoolWorker | null)[] = [];
  private readonly ctl: Int32Array;
  private readonly seq: number[];
  private readonly failed: boolean[];
  private readonly mainSpin: number;
  /** Atomics.wait is not allowed on a browser's main thread: there it spins. */
  private canWait = true;
  /** Jobs handed to workers so far. */
  jobs = 0;
  /** Of which the worker was asleep (a slow hand-off). */
  wakes = 0;
  /** Of which the calling thread ran itself, the worker not having started them. */
  steals = 0;
  /** The calling thread's kernels, by code. */
  private readonly local: ((...args: number[]) => void)[];

  constructor(
    heap: WasmHeap,
    module: WebAssembly.Module,
    readonly size: number,
    factory: WorkerFactory,
    cores: number,
    kernels: Record<(typeof EXPORTS)[number], (...args: number[]) => void>,
  ) {
    this.local = EXPORTS.map((name) => kernels[name]);
    const spin = size + 1 <= cores ? spinMicros.worker : 0;
    this.mainSpin = size + 1 <= cores ? spinMicros.main : 0;
    // Never freed: a worker that has not yet seen QUIT must never read the block reused as data.
    const control = heap.alloc(size * SLOT_BYTES);
    this.ctl = new Int32Array(heap.memory.buffer, control, size * SLOT_INTS).fill(0);
    this.seq = new Array<number>(size).fill(0);
    this.failed = new Array<boolean>(size).fill(false);
    for (let i = 0; i < size; i++) {
      this.ctl[i * SLOT_INTS + W.spin] = spin;
      const w = factory(() => {
        this.failed[i] = true;
      });
      this.workers.push(w);
      w.postMessage({ module, memory: heap.memory, control, index: i });
    }
  }

  /** The workers that can take a job now (started, not failed). */
  readyWorkers(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (!this.failed[i] && Atomics.load(this.ctl, i * SLOT_INTS + W.ready) === 1) out.push(i);
    }
    return out;
  }

  /** Resolves when every worker is ready (true) or has failed or `ms` passed (false). */
  async whenReady(ms = 10000): Promise<boolean> {
    const end = Date.now() + ms;
    while (this.readyWorkers().length < this.size) {
      if (this.failed.some((f) => f) || Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /**
   * Runs kernel `fn` with jobs[i] on worker workers[i] while the calling thread runs `own`, and
   * returns when all are done (also when `own` throws: the jobs may use memory the caller frees).
   * A job its worker has not claimed by then (preempted, or still waking up) the calling thread
   * runs itself: the same kernel on the same range, so the result is the same.
   */
  run(fn: number, workers: readonly number[], jobs: readonly number[][], own: () => void): void {
    for (let j = 0; j < jobs.length; j++) this.post(workers[j], fn, jobs[j]);
    this.jobs += jobs.length;
    let ownError: unknown = null;
    try {
      own();
    } catch (e) {
      ownError = e;
    }
    let failed = false;
    for (let j = 0; j < jobs.length; j++) {
      const i = workers[j];
      if (Atomics.compareExchange(this.ctl, i * SLOT_INTS + W.claim, -this.seq[i], 0) === -this.seq[i]) {
        this.steals++;
        try {
          this.local[fn](...jobs[j]);
        } catch (e) {
          ownError ??= e;
        }
      } else {
        failed = this.await(i) || failed;
      }
    }
    if (ownError !== null) throw ownError;
    if (failed) throw new BackendError('wasm: a kernel failed on a worker thread');
  }

  /** Tells the workers to quit and terminates them; the pool is unusable afterwards. */
  close(): void {
    for (let i = 0; i < this.size; i++) {
      this.post(i, QUIT, [], false);
      void Promise.resolve(this.workers[i]?.terminate()).catch(() => undefined);
      this.workers[i] = null;
    }
  }

  private post(i: number, fn: number, args: readonly number[], ack = true): void {
    const base = i * SLOT_INTS;
    const ctl = this.ctl;
    // A stolen job is acknowledged by its worker later: it must not read the next job's arguments
    // (QUIT needs no care: a worker that reads it in place of another job's quits all the same).
    if (ack && Atomics.load(ctl, base + W.done) !== this.seq[i]) this.await(i);
    ctl[base + W.fn] = fn;
    ctl[base + W.claim] = -(this.seq[i] + 1);
    for (let k = 0; k < args.length; k++) ctl[base + W.args + k] = args[k];
    // The atomic store orders the plain writes above before it (sequentially consistent).
    Atomics.store(ctl, base + W.seq, ++this.seq[i]);
    if (Atomics.load(ctl, base + W.sleeping) === 1) {
      Atomics.notify(ctl, base + W.seq);
      this.wakes++;
    }
  }

  /** Waits for worker i's last job; true if it threw. */
  private await(i: number): boolean {
    const ctl = this.ctl;
    const word = i * SLOT_INTS + W.done;
    const want = this.seq[i];
    // One job at a time per worker: `done` is want - 1 until it finishes.
    if (Atomics.load(ctl, word) !== want) spinUntilChanged(ctl, word, want - 1, this.mainSpin);
    while (Atomics.load(ctl, word) !== want) {
      if (!this.canWait) continue;
      Atomics.store(ctl, i * SLOT_INTS + W.mainSleeping, 1);
      try {
        Atomics.wait(ctl, word, want - 1, 100);
      } catch {
        this.canWait = false;
      }
      Atomics.store(ctl, i * SLOT_INTS + W.mainSleeping, 0);
    }
    return ctl[i * SLOT_INTS + W.error] === 1;
  }
}
