import { BackendError } from '../../tensor/errors.js';
import type { GPUAdapterLike, GPUDeviceLike, GPULike } from './gpu-types.js';

/** Where a WebGPU device came from, for messages and benchmarks. */
export interface AdapterDescription {
  source: 'navigator.gpu' | 'webgpu package' | 'given';
  vendor: string;
  architecture: string;
  description: string;
}

export interface AcquiredDevice {
  device: GPUDeviceLike;
  adapter: AdapterDescription;
}

export interface DeviceOptions {
  /** Use this device instead of requesting one (e.g. shared with a renderer). */
  device?: GPUDeviceLike;
  powerPreference?: 'low-power' | 'high-performance';
}

/**
 * The WebGPU entry point of this runtime: the browser's navigator.gpu, else, in Node, the optional
 * `webgpu` package (Dawn), loaded only if installed: it is not a dependency of this library.
 * Returns the entry point or the reason there is none.
 */
async function findGpu(): Promise<{ gpu: GPULike; source: AdapterDescription['source'] } | string> {
  const nav = (globalThis as { navigator?: { gpu?: GPULike } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator.gpu' };
  const isNode =
    typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
    'string';
  if (!isNode) {
    return 'this browser exposes no navigator.gpu (WebGPU needs a secure context and a browser that supports it)';
  }
  // A variable specifier keeps bundlers and the compiler from resolving the optional package.
  const pkg = 'webgpu';
  let mod: { create?: (flags: string[]) => GPULike };
  try {
    mod = (await import(/* @vite-ignore */ pkg)) as typeof mod;
  } catch {
    return "Node has no WebGPU of its own and the optional 'webgpu' package (Dawn) is not installed (npm install webgpu)";
  }
  if (typeof mod.create !== 'function') return "the 'webgpu' package has no create() export";
  return { gpu: mod.create([]), source: 'webgpu package' };
}

/** Requests a device, with the largest storage limits the adapter allows (big tensors need them). */
async function deviceOf(adapter: GPUAdapterLike): Promise<GPUDeviceLike> {
  const wanted = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage'];
  const requiredLimits: Record<string, number> = {};
  for (const k of wanted) if (typeof adapter.limits[k] === 'number') requiredLimits[k] = adapter.limits[k];
  return adapter.requestDevice({ requiredLimits });
}

/**
 * Acquires a WebGPU device, or throws a BackendError that says why none exists here (no WebGPU in
 * the runtime, no adapter, or the device request failed).
 */
export async function acquireDevice(opts: DeviceOptions = {}): Promise<AcquiredDevice> {
  if (opts.device) {
    return {
      device: opts.device,
      adapter: { source: 'given', vendor: '', architecture: '', description: '' },
    };
  }
  const found = await findGpu();
  if (typeof found === 'string') throw new BackendError(`webgpu: no WebGPU here: ${found}`);
  const adapter = await found.gpu.requestAdapter({
    powerPreference: opts.powerPreference ?? 'high-performance',
  });
  if (!adapter) {
    throw new BackendError(
      `webgpu: ${found.source} found no GPU adapter (no supported GPU or driver; browsers may need ` +
        'WebGPU enabled). The CPU backends remain available.',
    );
  }
  let device: GPUDeviceLike;
  try {
    device = await deviceOf(adapter);
  } catch (e) {
    throw new BackendError(`webgpu: the adapter refused a device: ${(e as Error).message}`);
  }
  const info = adapter.info;
  return {
    device,
    adapter: {
      source: found.source,
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
    },
  };
}
