/**
 * The page side of the shared suite on WebGPU: starts the device worker and the suite worker,
 * joins them with a MessageChannel and collects the suite worker's results for the driver
 * (webgpu.test.ts). Nothing runs at import time.
 */
import type { CaseResult } from './runner.js';
import type { SuiteMessage, SuiteStart } from './suite-worker.js';

export interface SharedReport {
  files: { file: string; results: CaseResult[]; ms: number }[];
  counts?: { device: number; reference: number; reads: number };
  device?: { errors: string[]; live: number; pooled: number };
  fatal?: string;
}

function start(name: string): Worker {
  return new Worker(new URL(`./${name}.js`, import.meta.url), { type: 'module' });
}

/** Runs the given test files (module URLs) with 'webgpu' as the backend. */
export async function runShared(files: string[], env: Record<string, string>): Promise<SharedReport> {
  const report: SharedReport = { files: [] };
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    return { ...report, fatal: 'the page is not cross-origin isolated: no shared memory for the workers' };
  }
  const device = start('device-worker');
  const suite = start('suite-worker');
  const channel = new MessageChannel();
  try {
    await new Promise<void>((ok, fail) => {
      device.onmessage = (e: MessageEvent<{ ready?: boolean; error?: string }>) =>
        e.data.ready ? ok() : fail(new Error(e.data.error));
      device.onerror = (e) => fail(new Error(`device worker: ${e.message}`));
      device.postMessage({ port: channel.port1 }, [channel.port1]);
    });
    await new Promise<void>((ok) => {
      suite.onmessage = (e: MessageEvent<SuiteMessage | { fatal: string }>) => {
        const m = e.data;
        if ('fatal' in m) {
          report.fatal = m.fatal;
          ok();
        } else if ('done' in m) {
          report.counts = m.counts;
          report.device = m.device;
          ok();
        } else report.files.push(m);
      };
      suite.onerror = (e) => {
        report.fatal = `suite worker: ${e.message}`;
        ok();
      };
      const msg: SuiteStart = { port: channel.port2, files, env };
      suite.postMessage(msg, [channel.port2]);
    });
  } catch (e) {
    report.fatal = String((e as Error).stack ?? e);
  } finally {
    suite.terminate();
    device.terminate();
  }
  return report;
}
