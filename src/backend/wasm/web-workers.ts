/**
 * Web Workers for the wasm backend's thread pool in a browser. Shared WebAssembly memory needs a
 * cross-origin-isolated page (COOP/COEP headers); elsewhere the backend runs on one thread. The
 * worker script is referenced as `new URL(..., import.meta.url)`, the form bundlers (Vite, webpack,
 * esbuild) follow.
 */
import type { WorkerFactory } from './threads.js';
import { setWorkerFactory } from './threads.js';

export const webWorkerFactory: WorkerFactory = (onError) => {
  const w = new Worker(new URL('./web-worker.js', import.meta.url), { type: 'module' });
  w.addEventListener('error', (e) => onError(e));
  return w;
};

interface BrowserGlobals {
  Worker?: unknown;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

/**
 * Lets the wasm backend use Web Workers (all cores unless `numThreads` says otherwise). Returns
 * false, changing nothing, where workers or cross-origin isolation are missing.
 */
export function useWebWorkers(numThreads?: number): boolean {
  const g = globalThis as BrowserGlobals;
  if (typeof g.Worker !== 'function' || g.crossOriginIsolated !== true) return false;
  const cores = Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  setWorkerFactory(webWorkerFactory, { cores, numThreads: numThreads ?? cores });
  return true;
}
