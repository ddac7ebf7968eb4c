/**
 * The entry point of a Web Worker of the wasm backend's thread pool: it runs the kernels on the
 * shared memory of the one message it receives (see worker-loop.ts).
 */
import type { WorkerInit } from './worker-loop.js';
import { runWorker } from './worker-loop.js';

addEventListener('message', (e) => runWorker((e as MessageEvent<WorkerInit>).data), { once: true });
