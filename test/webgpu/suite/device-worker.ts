/**
 * The device worker of the shared suite on WebGPU: owns the real WebGPU backend, runs the kernel
 * calls the suite worker sends (see remote-backend.ts) and writes each answer into shared memory,
 * waking the suite worker. Reads await the device, which is why this is a worker of its own.
 * Started by suite-page.ts; nothing happens when Node's test runner imports this file.
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

  const answer = (bytes: Uint8Array, length = bytes.length) => {
    if (bytes.length > data!.byteLength) throw new Error('answer larger than the data block');
    new Uint8Array(data!).set(bytes);
    Atomics.store(ctl!, CTL.length, length);
    Atomics.store(ctl!, CTL.flag, 1);
    Atomics.notify(ctl!, CTL.flag);
  };
  const json = (a: Answer) => answer(new TextEncoder().encode(JSON.stringify(a)));
  // Ids per storage: a kernel may hand back a storage that already has an id.
  const refs = new Map<Storage, number>();
  const keep = (id: number, st: Storage) => {
    storages.set(id, st);
    refs.set(st, (refs.get(st) ?? 0) + 1);
  };
  const describe = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(describe);
    if (!s || typeof s !== 'object' || !('dtype' in s)) return s ?? null;
    const st = s as Storage;
    const id = nextId--;
    keep(id, st);
    return { id, dtype: st.dtype, size: st.size };
  };
  const failure = (e: unknown): Answer => {
    const err = e as Error;
    return { ok: false, error: { name: err.name, message: err.message, stack: err.stack } };
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
        keep(req.id, gpu.upload(req.values as Float32Array));
        return;
      case 'free':
        // The suite worker collected these: release their buffers now (this worker allocates too
        // little for its own collector to run often) once no other id holds the storage.
        for (const id of req.ids) {
          const st = storages.get(id);
          storages.delete(id);
          if (!st) continue;
          const n = refs.get(st)! - 1;
          if (n > 0) refs.set(st, n);
          else {
            refs.delete(st);
            gpu.release(st);
          }
        }
        return;
      case 'read': {
        let values: Awaited<ReturnType<WebGPUBackend['read']>>;
        try {
          values = await gpu.read(storage(req.id));
        } catch (e) {
          // A negative length says the answer is an error (JSON) rather than the bytes.
          const text = new TextEncoder().encode(JSON.stringify(failure(e)));
          answer(text, -text.length);
          return;
        }
        answer(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        return;
      }
      case 'stats': {
        try {
          await gpu.sync();
          const m = gpu.memoryStats();
          json({
            ok: true,
            value: { errors: [...gpu.errors], live: m.liveBuffers, pooled: m.pooledBuffers },
          });
        } catch (e) {
          json(failure(e));
        }
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
          json(failure(e));
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
