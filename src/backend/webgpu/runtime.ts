import type { DType, TypedArray } from '../../tensor/dtype.js';
import { typedArrayFor } from '../../tensor/dtype.js';
import { BackendError, IndexError } from '../../tensor/errors.js';
import type { Backend, Storage } from '../backend.js';
import type {
  GPUBufferLike,
  GPUCommandEncoderLike,
  GPUComputePassLike,
  GPUComputePipelineLike,
  GPUDeviceLike,
} from './gpu-types.js';
import { BufferUsage, MAP_READ } from './gpu-types.js';

/** A tensor's elements in a GPU buffer: 4 bytes each (f32, i32, and bool as u32 0/1). */
export class WebGPUStorage implements Storage {
  version = 0;
  released = false;
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly size: number,
    readonly buffer: GPUBufferLike,
  ) {}
}

/** What the finalizer needs to recycle a collected storage's buffer (never the storage itself). */
interface Held {
  buffer: GPUBufferLike;
}

export interface WebGPUStats {
  /** Buffers held by live storages (not yet released or collected). */
  liveBuffers: number;
  liveBytes: number;
  /** Free buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** createBuffer calls for storages so far (reuse keeps this from growing). */
  createdBuffers: number;
  dispatches: number;
  submits: number;
  pipelines: number;
}

/** Words of one dispatch's parameters: a 256-byte uniform slot (the minimum dynamic alignment). */
export const PARAM_WORDS = 64;
const SLOT_BYTES = PARAM_WORDS * 4;
/** Dispatches per command buffer before it is submitted (the uniform arena holds one slot each). */
const ARENA_SLOTS = 256;
const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
/** The fault words read back: [code, bad value]. */
const FAULT_BYTES = 8;
/** Fault codes remembered between reads (each names its op, dim and shape in the error). */
const MAX_FAULT_CODES = 4096;

/**
 * Buffer sizes are rounded up to 2^k or 1.5·2^k bytes (at least 256) so that freed buffers fit the
 * next tensors of similar size: a training step allocates the same sizes every time.
 */
export function bucketOf(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  return (p * 3) / 4 >= bytes ? (p * 3) / 4 : p;
}

/**
 * Owns the device's buffers, pipelines and the command stream. Kernels are recorded into one open
 * compute pass and submitted in batches (at a read, when the uniform arena is full, or at the end
 * of the current task), which keeps per-kernel overhead low.
 *
 * Buffer reuse is safe because every buffer a storage frees goes through a quarantine that is
 * emptied into the pool only after the pending commands are submitted: uploads (queue writes)
 * into a reused buffer are then ordered after every kernel that read its old contents.
 */
export class Runtime {
  readonly errors: string[] = [];
  private pool = new Map<number, GPUBufferLike[]>();
  private pooledBytes = 0;
  private quarantine: GPUBufferLike[] = [];
  private live = 0;
  private liveBytes = 0;
  private created = 0;
  private dispatches = 0;
  private submits = 0;
  private readonly registry = new FinalizationRegistry<Held>((held) => this.recycle(held.buffer));
  private pipelines = new Map<string, GPUComputePipelineLike>();
  private encoder: GPUCommandEncoderLike | null = null;
  private pass: GPUComputePassLike | null = null;
  private readonly arena = new Uint32Array(ARENA_SLOTS * PARAM_WORDS);
  private slots = 0;
  private readonly uniforms: GPUBufferLike;
  private flushScheduled = false;
  /** Pooled bytes above which freed buffers are destroyed instead of kept. */
  poolLimitBytes = 512 * 2 ** 20;
  /**
   * Index faults. A kernel cannot throw, so one that meets an index out of range (gather,
   * scatterAdd) stores its fault code and the bad value here [code, value]; the next read (or
   * sync) finds it and throws the op's error, as CUDA reports device-side errors.
   */
  readonly faultBuffer: GPUBufferLike;
  private readonly faults = new Map<number, (value: number) => string>();
  private nextFault = 1;

  constructor(readonly device: GPUDeviceLike) {
    this.uniforms = device.createBuffer({
      size: ARENA_SLOTS * SLOT_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    // New buffers are zero: no fault.
    this.faultBuffer = device.createBuffer({ size: FAULT_BYTES, usage: STORAGE_USAGE });
    device.addEventListener('uncapturederror', (e) => {
      if (this.errors.length < 20) this.errors.push(e.error.message);
      console.error(`webgpu: ${e.error.message}`);
    });
    void device.lost.then((info) => {
      // A lost device (driver reset, destroy()) fails every later kernel: say why once.
      this.errors.push(`device lost (${info.reason}): ${info.message}`);
      if (info.reason !== 'destroyed') console.error(`webgpu: device lost: ${info.message}`);
    });
  }

  /** A storage of `size` elements (contents undefined: kernels overwrite all of them). */
  alloc(backend: Backend, dtype: DType, size: number): WebGPUStorage {
    const bytes = bucketOf(size * 4);
    const limit = this.device.limits.maxStorageBufferBindingSize ?? 2 ** 27;
    if (bytes > limit) {
      throw new BackendError(
        `webgpu: a tensor of ${size} elements needs ${bytes} bytes, over the device's storage buffer limit of ${limit}`,
      );
    }
    const free = this.pool.get(bytes);
    let buffer = free?.pop();
    if (buffer) this.pooledBytes -= bytes;
    else {
      buffer = this.device.createBuffer({ size: bytes, usage: STORAGE_USAGE });
      this.created++;
    }
    const s = new WebGPUStorage(backend, dtype, size, buffer);
    this.live++;
    this.liveBytes += bytes;
    this.registry.register(s, { buffer }, s);
    return s;
  }

  /** Frees a storage's buffer now (using the storage afterwards throws). */
  release(s: WebGPUStorage): void {
    if (s.released) return;
    s.released = true;
    this.registry.unregister(s);
    this.recycle(s.buffer);
  }

  private recycle(buffer: GPUBufferLike): void {
    this.live--;
    this.liveBytes -= buffer.size;
    this.quarantine.push(buffer);
    if (!this.encoder) this.drainQuarantine();
  }

  private drainQuarantine(): void {
    for (const b of this.quarantine) {
      if (this.pooledBytes + b.size > this.poolLimitBytes) {
        b.destroy();
        continue;
      }
      let list = this.pool.get(b.size);
      if (!list) this.pool.set(b.size, (list = []));
      list.push(b);
      this.pooledBytes += b.size;
    }
    this.quarantine = [];
  }

  /** Destroys the pooled buffers (live ones stay). */
  trimPool(): void {
    this.flush();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBytes = 0;
  }

  stats(): WebGPUStats {
    let pooled = 0;
    for (const list of this.pool.values()) pooled += list.length;
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytes,
      pooledBuffers: pooled,
      pooledBytes: this.pooledBytes,
      createdBuffers: this.created,
      dispatches: this.dispatches,
      submits: this.submits,
      pipelines: this.pipelines.size,
    };
  }

  /** The pipeline for `key`, compiled from `code()` the first time. */
  pipeline(key: string, code: () => string): GPUComputePipelineLike {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: code(), label: key });
      p = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
        label: key,
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private encoderNow(): GPUCommandEncoderLike {
    if (!this.encoder) {
      this.encoder = this.device.createCommandEncoder();
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Submit what this task recorded once it yields, so work starts without a read.
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    }
    return this.encoder;
  }

  /**
   * Records one kernel: binding 0 is its parameter slot, bindings 1.. the buffers in order.
   * groups is the workgroup grid.
   */
  dispatch(
    pipeline: GPUComputePipelineLike,
    buffers: readonly GPUBufferLike[],
    params: ArrayLike<number>,
    groups: readonly [number, number, number],
  ): void {
    if (params.length > PARAM_WORDS)
      throw new BackendError(`webgpu: ${params.length} parameter words (max ${PARAM_WORDS})`);
    if (this.slots === ARENA_SLOTS) this.flush();
    const slot = this.slots++;
    // Words are stored as u32: negative ints wrap (shaders bitcast them back).
    for (let i = 0; i < params.length; i++) this.arena[slot * PARAM_WORDS + i] = params[i] >>> 0;
    const entries = [
      { binding: 0, resource: { buffer: this.uniforms, offset: slot * SLOT_BYTES, size: SLOT_BYTES } },
    ];
    buffers.forEach((buffer, i) =>
      entries.push({ binding: i + 1, resource: { buffer, offset: 0, size: buffer.size } }),
    );
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const enc = this.encoderNow();
    if (!this.pass) this.pass = enc.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, group);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.dispatches++;
  }

  /** Records a buffer copy (between kernels, in stream order). */
  copy(src: GPUBufferLike, dst: GPUBufferLike, bytes: number, dstOffset = 0): void {
    if (bytes === 0) return;
    const enc = this.encoderNow();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    enc.copyBufferToBuffer(src, 0, dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.pass.end();
    if (this.slots > 0) {
      this.device.queue.writeBuffer(this.uniforms, 0, this.arena.subarray(0, this.slots * PARAM_WORDS));
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.submits++;
    this.encoder = null;
    this.pass = null;
    this.slots = 0;
    this.drainQuarantine();
  }

  /** Writes host values into a storage (bool as u32). */
  write(s: WebGPUStorage, values: TypedArray): void {
    if (values.length === 0) return;
    const words = s.dtype === 'bool' ? Uint32Array.from(values) : values;
    this.device.queue.writeBuffer(s.buffer, 0, words);
  }

  /** A fault code for a kernel that may meet a bad index; `message(value)` is its error then. */
  faultCode(message: (value: number) => string): number {
    const code = this.nextFault;
    this.nextFault = code >= 0x7fffffff ? 1 : code + 1;
    // Bounded for loops that never read: the oldest codes then fall back to a generic message.
    if (this.faults.size >= MAX_FAULT_CODES) this.faults.delete(this.faults.keys().next().value!);
    this.faults.set(code, message);
    return code;
  }

  /** Throws the IndexError of the first kernel that met a bad index since the last check, if any. */
  async checkFaults(): Promise<void> {
    if (this.faults.size === 0) return;
    const pending = [...this.faults.keys()];
    const [words] = await this.readBytes([[this.faultBuffer, FAULT_BYTES]]);
    this.takeFault(words, pending);
  }

  /**
   * Clears the codes of the kernels recorded before a check (they have run; later ones stay pending)
   * and throws the fault the device recorded, if any, resetting it.
   */
  private takeFault(bytes: ArrayBuffer, pending: readonly number[]): void {
    const [code, bits] = new Uint32Array(bytes);
    const message = code ? this.faults.get(code) : undefined;
    for (const c of pending) this.faults.delete(c);
    if (!code) return;
    this.device.queue.writeBuffer(this.faultBuffer, 0, new Uint32Array(FAULT_BYTES / 4));
    const value = bits | 0;
    throw new IndexError(
      `${message ? message(value) : `index ${value} is out of range`} (found by the device; reported at the next read)`,
    );
  }

  /**
   * The first bytes of each buffer, through one staging buffer and one mapping (submits what is
   * recorded). Sizes are multiples of 4.
   */
  private async readBytes(parts: readonly (readonly [GPUBufferLike, number])[]): Promise<ArrayBuffer[]> {
    const total = parts.reduce((n, [, bytes]) => n + bytes, 0);
    const staging = this.device.createBuffer({
      size: total,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    let at = 0;
    for (const [buffer, bytes] of parts) {
      this.copy(buffer, staging, bytes, at);
      at += bytes;
    }
    this.flush();
    try {
      await staging.mapAsync(MAP_READ, 0, total);
      const mapped = staging.getMappedRange(0, total);
      at = 0;
      const out = parts.map(([, bytes]) => mapped.slice(at, (at += bytes)));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /**
   * Reads a storage back through a staging buffer. A pending index fault is read in the same
   * mapping and thrown instead.
   */
  async read(s: WebGPUStorage): Promise<TypedArray> {
    if (s.released) throw new BackendError('webgpu: read of a released storage');
    const out = typedArrayFor(s.dtype, s.size);
    const pending = [...this.faults.keys()];
    const parts: [GPUBufferLike, number][] = s.size > 0 ? [[s.buffer, s.size * 4]] : [];
    if (pending.length) parts.push([this.faultBuffer, FAULT_BYTES]);
    if (parts.length === 0) return out;
    const got = await this.readBytes(parts);
    if (pending.length) this.takeFault(got[got.length - 1], pending);
    if (s.size === 0) return out;
    if (s.dtype === 'bool') out.set(new Uint32Array(got[0]));
    else out.set(new (s.dtype === 'int32' ? Int32Array : Float32Array)(got[0]));
    return out;
  }
}
