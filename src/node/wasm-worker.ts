/**
 * The entry point of a worker thread of the wasm backend's thread pool in Node: it runs the
 * kernels on the shared memory it is sent (see src/backend/wasm/worker-loop.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerInit } from '../backend/wasm/worker-loop.js';
import { runWorker } from '../backend/wasm/worker-loop.js';

parentPort?.once('message', (init: WorkerInit) => runWorker(init));
