/**
 * Worker threads for the wasm backend in Node: registers a worker_threads factory with the core
 * (which never imports node: modules itself).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkerFactory } from '../backend/wasm/threads.js';
import { setWorkerFactory } from '../backend/wasm/threads.js';

const WORKER_URL = new URL('./wasm-worker.js', import.meta.url);

/** Starts an unref'd worker: an idle pool never keeps a process (a test run, a CLI) alive. */
export const nodeWorkerFactory: WorkerFactory = (onError) => {
  const w = new Worker(WORKER_URL);
  w.on('error', onError);
  w.unref();
  return w;
};

/** The thread count in CHAINRULE_THREADS, if it is set (a positive integer). */
export function threadsFromEnv(): number | undefined {
  const s = process.env.CHAINRULE_THREADS;
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`CHAINRULE_THREADS must be a positive integer, got '${s}'`);
  }
  return n;
}

/**
 * Lets the wasm backend use worker threads, with CHAINRULE_THREADS threads if set, else
 * `defaultThreads` (all cores unless told otherwise).
 */
export function useNodeWorkers(defaultThreads = availableParallelism()): void {
  setWorkerFactory(nodeWorkerFactory, {
    cores: availableParallelism(),
    numThreads: threadsFromEnv() ?? defaultThreads,
  });
}
