/**
 * The suite worker: runs the library's shared test files (the ones Node runs on 'js' and 'wasm')
 * with 'webgpu' as the backend, through RemoteBackend, and posts each file's results to the page.
 * Started by suite-page.ts; nothing happens when Node's test runner imports this file.
 */
import { registerBackend, setBackend } from '../../../src/backend/backend.js';
import { RemoteBackend } from './remote-backend.js';
import type { Port } from './remote-backend.js';
import type { CaseResult } from './runner.js';
import { runFile } from './runner.js';

export interface SuiteStart {
  port: MessagePort;
  /** Module URLs of the test files, run in this order. */
  files: string[];
  env: Record<string, string>;
}

export type SuiteMessage =
  | { file: string; results: CaseResult[]; ms: number }
  | {
      done: true;
      counts: RemoteBackend['counts'];
      device: { errors: string[]; live: number; pooled: number };
    };

async function runAll(start: SuiteStart, post: (m: SuiteMessage) => void): Promise<void> {
  (globalThis as { process?: unknown }).process = { env: start.env };
  const backend = new RemoteBackend(start.port as unknown as Port);
  registerBackend('webgpu', () => backend, -1);
  setBackend('webgpu');
  const gc = (globalThis as { gc?: () => void }).gc;
  for (const file of start.files) {
    const t0 = performance.now();
    const results = await runFile(file, () => import(file));
    // Collected storages tell the device worker to drop theirs.
    gc?.();
    post({ file, results, ms: performance.now() - t0 });
  }
  setBackend('webgpu');
  // Let the collector report the last files' storages, so that the device's counts are current.
  gc?.();
  await new Promise((ok) => setTimeout(ok, 100));
  post({ done: true, counts: backend.counts, device: backend.stats() });
}

const scope = globalThis as unknown as { WorkerGlobalScope?: unknown; onmessage: unknown };
if (scope.WorkerGlobalScope !== undefined) {
  const post = (m: unknown) => (globalThis as unknown as Worker).postMessage(m);
  scope.onmessage = (e: MessageEvent<SuiteStart>) => {
    runAll(e.data, post).catch((err: Error) => post({ fatal: String(err.stack ?? err) }));
  };
}
