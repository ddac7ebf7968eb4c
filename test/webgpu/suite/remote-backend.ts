/**
 * The 'webgpu' backend as the shared test suite sees it inside its worker: every kernel call goes to
 * the real WebGPU backend in the device worker and waits for its answer (so errors surface where
 * the test expects them), and synchronous reads wait for the device's asynchronous readback.
 *
 * float64 has no WGSL type, so float64 kernels run on the reference backend here, as the wasm
 * backend's float64 does: a storage lives here exactly when its dtype is float64, and int32/bool
 * operands of such a kernel (indices, conditions) are read back for it. `counts` tells how many
 * calls went to each side.
 */
import type { Backend, Storage } from '../../../src/backend/backend.js';
import { JsBackend } from '../../../src/backend/js/index.js';
import type { DType, TypedArray } from '../../../src/tensor/dtype.js';
import { dtypeOfTypedArray, typedArrayFor } from '../../../src/tensor/dtype.js';
import * as errors from '../../../src/tensor/errors.js';
import type { Answer, Request, StorageDesc, StorageRef } from './protocol.js';
import { CTL, CTL_BYTES, isDesc } from './protocol.js';

/** How long a kernel may take before the suite gives up on the device worker. */
const TIMEOUT_MS = 120_000;
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

class RemoteStorage implements Storage {
  version = 0;
  constructor(
    readonly backend: RemoteBackend,
    readonly dtype: DType,
    readonly size: number,
    /** The device worker's id, or -1 for a float64 storage held here. */
    readonly id: number,
    readonly local: Storage | null,
  ) {}
}

/** Anything a kernel takes: storages (possibly in arrays), shapes, numbers, strings, options. */
type Arg = unknown;

export interface Port {
  postMessage(message: Request): void;
}

export class RemoteBackend implements Backend {
  readonly name = 'webgpu';
  readonly canReadSync = true;
  readonly counts = { device: 0, reference: 0, reads: 0 };
  private readonly ref = new JsBackend();
  private readonly ctl: Int32Array;
  private data: SharedArrayBuffer;
  private nextId = 1;
  private dead: number[] = [];
  private readonly registry = new FinalizationRegistry<number>((id) => this.dead.push(id));

  constructor(private readonly port: Port) {
    const ctl = new SharedArrayBuffer(CTL_BYTES);
    this.ctl = new Int32Array(ctl);
    this.data = new SharedArrayBuffer(1 << 24);
    port.postMessage({ t: 'init', ctl, data: this.data });
  }

  /** Sends a request and blocks until the device worker has written its answer. */
  private request(req: Request): number {
    if (this.dead.length) {
      this.port.postMessage({ t: 'free', ids: this.dead });
      this.dead = [];
    }
    Atomics.store(this.ctl, CTL.flag, 0);
    this.port.postMessage(req);
    // A loop, not one wait: the notify of the previous answer can arrive after that answer was
    // taken (its flag seen before waiting) and wake this wait early.
    const deadline = performance.now() + TIMEOUT_MS;
    while (Atomics.load(this.ctl, CTL.flag) === 0) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.ctl, CTL.flag, 0, left) === 'timed-out') {
        throw new Error(`webgpu suite: the device worker did not answer '${req.t}' within ${TIMEOUT_MS} ms`);
      }
    }
    return Atomics.load(this.ctl, CTL.length);
  }

  private json(req: Request): unknown {
    return this.decode(this.request(req));
  }

  /** The JSON answer of n bytes in the data block: its value, or its error thrown. */
  private decode(n: number): unknown {
    const answer = JSON.parse(new TextDecoder().decode(new Uint8Array(this.data, 0, n).slice())) as Answer;
    if (!answer.ok) throw rebuild(answer.error);
    return answer.value;
  }

  private wrap(d: StorageDesc): RemoteStorage {
    const s = new RemoteStorage(this, d.dtype as DType, d.size, d.id, null);
    this.registry.register(s, d.id);
    return s;
  }

  /** A host array on the device (never float64). */
  private toDevice(values: TypedArray): RemoteStorage {
    const id = this.nextId++;
    this.port.postMessage({ t: 'upload', id, values });
    return this.wrap({ id, dtype: dtypeOfTypedArray(values), size: values.length });
  }

  /** Keeps a reference kernel's result: float64 stays here, other dtypes go to the device. */
  private adopt(s: Storage): RemoteStorage {
    if (s.dtype === 'float64') return new RemoteStorage(this, 'float64', s.size, -1, s);
    return this.toDevice(this.ref.readSync(s));
  }

  /** The reference backend's copy of a storage (float64: the one held here). */
  private refOf(s: RemoteStorage): Storage {
    return s.local ?? this.ref.upload(this.readSync(s).slice());
  }

  /** Runs a kernel where its dtype lives: on the device, or here for float64. */
  private run<T>(method: string, args: Arg[]): T {
    const mine = (a: Arg): a is RemoteStorage => a instanceof RemoteStorage;
    const float64 = args.some(
      (a) =>
        a === 'float64' ||
        (mine(a) && a.dtype === 'float64') ||
        (Array.isArray(a) && a.some((b) => mine(b) && b.dtype === 'float64')),
    );
    const map = (f: (s: RemoteStorage) => unknown) => (a: Arg) =>
      mine(a) ? f(a) : Array.isArray(a) ? a.map((b) => (mine(b) ? f(b) : b)) : a;
    if (float64) {
      this.counts.reference++;
      const fn = (this.ref as unknown as Record<string, ((...a: Arg[]) => unknown) | undefined>)[method];
      // Optional kernels the reference lacks (convolution): null makes the op compose them.
      if (!fn) return null as T;
      const out = fn.apply(this.ref, args.map(map((s) => this.refOf(s))));
      // A kernel's tuple may hold nulls (layerNormBackward without the parameters' gradients).
      const adopt = (s: unknown) => (s ? this.adopt(s as Storage) : s);
      return (Array.isArray(out) ? out.map(adopt) : adopt(out)) as T;
    }
    this.counts.device++;
    const value = this.json({
      t: 'call',
      method,
      args: args.map(map((s): StorageRef => ({ __storage: s.id }))),
    });
    if (Array.isArray(value)) return value.map((d) => (d === null ? null : this.wrap(d as StorageDesc))) as T;
    return (isDesc(value) ? this.wrap(value) : value) as T;
  }

  upload(values: TypedArray): Storage {
    if (values instanceof Float64Array) return this.adopt(this.ref.upload(values));
    return this.toDevice(values);
  }

  readSync(x: Storage): TypedArray {
    const s = x as RemoteStorage;
    if (s.local) return this.ref.readSync(s.local);
    this.counts.reads++;
    const bytes = s.size * BYTES[s.dtype];
    if (bytes > this.data.byteLength) {
      this.data = new SharedArrayBuffer(2 ** Math.ceil(Math.log2(bytes)));
      this.port.postMessage({ t: 'grow', data: this.data });
    }
    const n = this.request({ t: 'read', id: s.id });
    // A negative length: the read failed, and the answer is its error.
    if (n < 0) this.decode(-n);
    if (n !== bytes) {
      throw new Error(
        `webgpu suite: reading storage ${s.id} (${s.dtype}, ${s.size}) gave ${n} bytes, not ${bytes}`,
      );
    }
    const out = typedArrayFor(s.dtype, s.size);
    new Uint8Array(out.buffer).set(new Uint8Array(this.data, 0, bytes));
    return out;
  }

  read(x: Storage): Promise<TypedArray> {
    return Promise.resolve(this.readSync(x));
  }

  /** The device's validation errors and buffer counts so far. */
  stats(): { errors: string[]; live: number; pooled: number } {
    return this.json({ t: 'stats' }) as { errors: string[]; live: number; pooled: number };
  }

  assign: Backend['assign'] = (...a) => this.run('assign', a);
  adamStep: NonNullable<Backend['adamStep']> = (...a) => this.run('adamStep', a);
  batchNormStats: NonNullable<Backend['batchNormStats']> = (...a) => this.run('batchNormStats', a);
  batchNormApply: NonNullable<Backend['batchNormApply']> = (...a) => this.run('batchNormApply', a);
  batchNormBackward: NonNullable<Backend['batchNormBackward']> = (...a) => this.run('batchNormBackward', a);
  conv2d: NonNullable<Backend['conv2d']> = (...a) => this.run('conv2d', a);
  conv2dBackwardInput: NonNullable<Backend['conv2dBackwardInput']> = (...a) =>
    this.run('conv2dBackwardInput', a);
  conv2dBackwardWeight: NonNullable<Backend['conv2dBackwardWeight']> = (...a) =>
    this.run('conv2dBackwardWeight', a);
  linear: NonNullable<Backend['linear']> = (...a) => this.run('linear', a);
  layerNorm: NonNullable<Backend['layerNorm']> = (...a) => this.run('layerNorm', a);
  layerNormBackward: NonNullable<Backend['layerNormBackward']> = (...a) => this.run('layerNormBackward', a);
  reluBackward: NonNullable<Backend['reluBackward']> = (...a) => this.run('reluBackward', a);
  maxPool2dBackward: NonNullable<Backend['maxPool2dBackward']> = (...a) => this.run('maxPool2dBackward', a);
  maxPool2d: Backend['maxPool2d'] = (...a) => this.run('maxPool2d', a);
  fill: Backend['fill'] = (...a) => this.run('fill', a);
  cast: Backend['cast'] = (...a) => this.run('cast', a);
  unary: Backend['unary'] = (...a) => this.run('unary', a);
  binary: Backend['binary'] = (...a) => this.run('binary', a);
  where: Backend['where'] = (...a) => this.run('where', a);
  reduce: Backend['reduce'] = (...a) => this.run('reduce', a);
  argReduce: Backend['argReduce'] = (...a) => this.run('argReduce', a);
  cumulative: Backend['cumulative'] = (...a) => this.run('cumulative', a);
  argsort: Backend['argsort'] = (...a) => this.run('argsort', a);
  matmul: Backend['matmul'] = (...a) => this.run('matmul', a);
  asStrided: Backend['asStrided'] = (...a) => this.run('asStrided', a);
  asStridedScatter: Backend['asStridedScatter'] = (...a) => this.run('asStridedScatter', a);
  concat: Backend['concat'] = (...a) => this.run('concat', a);
  gather: Backend['gather'] = (...a) => this.run('gather', a);
  scatterAdd: Backend['scatterAdd'] = (...a) => this.run('scatterAdd', a);
}

/** The device worker's error as the library's own class, so that tests matching on it still do. */
function rebuild(e: { name: string; message: string; stack?: string }): Error {
  const classes = errors as unknown as Record<string, new (m: string) => Error>;
  const globals: Record<string, new (m: string) => Error> = { TypeError, RangeError };
  const Cls = (Object.hasOwn(classes, e.name) ? classes[e.name] : globals[e.name]) ?? Error;
  const err = new Cls(e.message);
  if (e.stack) err.stack = `${err.stack}\n--- in the device worker ---\n${e.stack}`;
  return err;
}
