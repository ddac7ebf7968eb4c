/**
 * The device worker of the shared suite on WebGPU: owns the real WebGPU backend, runs the kernel
 * calls the suite worker sends (see remote-backend.ts) and writes each answer into shared memory,
 * waking the suite worker. Reads await the device, which is why this is a worker of its own.
 * Started by suite.html; nothing happens when Node's test runner imports this file.
 */
import type { Storage } from '../../../src/backend/backend.js';
import type { WebGPUBackend } from '../../../src/backend/webgpu/index.js';
import { initWebGPU } from '../../../src/backend/webgpu/index.js';
import type { Answer, Request } from './protocol.js';
import { CTL, isRef } from './protocol.js';

interface PortLike {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
}

/** Serves one suite worker's requests on `port`, in order. */
export async function serveDevice(port: PortLike): Promise<void> {
  const gpu: WebGPUBackend = await initWebGPU();
  const storages = new Map<number, Storage>();
  let nextId = -2; // ids of storages made here count down; the suite worker's uploads count up
  let ctl: Int32Array | null = null;
  let data: SharedArrayBuffer | null = null;

  const answer = (bytes: Uint8Array | null, length = bytes?.length ?? -1) => {
    if (bytes) {
      if (bytes.length > data!.byteLength) throw new Error('answer larger than the data block');
      new Uint8Array(data!).set(bytes);
    }
    Atomics.store(ctl!, CTL.length, length);
    Atomics.store(ctl!, CTL.flag, 1);
    Atomics.notify(ctl!, CTL.flag);
  };
  const json = (a: Answer) => answer(new TextEncoder().encode(JSON.stringify(a)));
  const describe = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(describe);
    if (!s || typeof s !== 'object' || !('dtype' in s)) return s ?? null;
    const st = s as Storage;
    const id = nextId--;
    storages.set(id, st);
    return { id, dtype: st.dtype, size: st.size };
  };
  const storage = (id: number) => {
    const s = storages.get(id);
    if (!s) throw new Error(`webgpu suite: no storage ${id} on the device worker`);
    return s;
  };
  const resolve = (a: unknown): unknown =>
    isRef(a) ? storage(a.__storage) : Array.isArray(a) ? a.map(resolve) : a;

  // Requests are handled strictly in order, the asynchronous read included.
  let queue = Promise.resolve();
  const handle = async (req: Request): Promise<void> => {
    switch (req.t) {
      case 'init':
        ctl = new Int32Array(req.ctl);
        data = req.data;
        return;
      case 'grow':
        data = req.data;
        return;
      case 'upload':
        storages.set(req.id, gpu.upload(req.values as Float32Array));
        return;
      case 'free':
        // Dropping the reference is enough: the backend frees buffers of collected storages.
        for (const id of req.ids) storages.delete(id);
        return;
      case 'read': {
        try {
          const values = await gpu.read(storage(req.id));
          answer(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        } catch {
          answer(null);
        }
        return;
      }
      case 'stats': {
        await gpu.sync();
        const m = gpu.memoryStats();
        json({ ok: true, value: { errors: [...gpu.errors], live: m.liveBuffers, pooled: m.pooledBuffers } });
        return;
      }
      case 'call':
        try {
          const fn = (gpu as unknown as Record<string, (...a: unknown[]) => unknown>)[req.method];
          const out = fn.apply(gpu, req.args.map(resolve));
          // A bad index is found on the device and reported at the next read: wait for it here,
          // so that the test sees the error at the call, where the reference throws it.
          if (req.method === 'gather' || req.method === 'scatterAdd') await gpu.sync();
          json({ ok: true, value: describe(out) });
        } catch (e) {
          const err = e as Error;
          json({ ok: false, error: { name: err.name, message: err.message, stack: err.stack } });
        }
    }
  };
  port.onmessage = (e) => {
    // A request that fails outside its own error handling must not stop the ones after it.
    queue = queue
      .then(() => handle(e.data))
      .catch((err: Error) => console.error(`device worker: ${err.stack}`));
  };
}

// As a worker: the page hands over the port to the suite worker.
const scope = globalThis as unknown as { WorkerGlobalScope?: unknown; onmessage: unknown };
if (scope.WorkerGlobalScope !== undefined) {
  scope.onmessage = (e: MessageEvent<{ port: MessagePort }>) => {
    serveDevice(e.data.port as unknown as PortLike).then(
      () => (globalThis as unknown as Worker).postMessage({ ready: true }),
      (err: Error) => (globalThis as unknown as Worker).postMessage({ error: String(err.stack ?? err) }),
    );
  };
}
