import { registerBackend, setBackend } from '../backend.js';
import { WebGPUBackend } from './backend.js';
import type { DeviceOptions } from './device.js';
import { acquireDevice } from './device.js';

export { WebGPUBackend } from './backend.js';
export type { AdapterDescription, DeviceOptions } from './device.js';
export type { GPUDeviceLike } from './gpu-types.js';
export type { WebGPUStats } from './runtime.js';

let instance: WebGPUBackend | null = null;

export interface InitOptions extends DeviceOptions {
  /** Also make it the current backend (setBackend('webgpu')). Default false. */
  select?: boolean;
}

/**
 * Finds WebGPU (navigator.gpu in a browser, the optional `webgpu` package in Node), acquires a
 * device and registers the backend as 'webgpu', so that setBackend('webgpu') picks it. Throws a
 * BackendError saying why where no adapter exists; the CPU backends remain usable then. Calling
 * it again returns the same backend.
 */
export async function initWebGPU(opts: InitOptions = {}): Promise<WebGPUBackend> {
  if (!instance) {
    const { device, adapter } = await acquireDevice(opts);
    const backend = new WebGPUBackend(device, adapter);
    // Lowest priority: it never becomes the default by itself, since it cannot read synchronously.
    registerBackend('webgpu', () => backend, -1);
    instance = backend;
  }
  if (opts.select) setBackend('webgpu');
  return instance;
}

/** Whether WebGPU can be used here: ok, or the reason it cannot (never throws). */
export async function probeWebGPU(
  opts: DeviceOptions = {},
): Promise<{ ok: true; backend: WebGPUBackend } | { ok: false; reason: string }> {
  try {
    return { ok: true, backend: await initWebGPU(opts) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
