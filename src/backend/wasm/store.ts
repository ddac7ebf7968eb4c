import type { DType, TypedArray } from '../../tensor/dtype.js';
import { BackendError } from '../../tensor/errors.js';
import type { Backend, Storage } from '../backend.js';
import type { HeapStats } from './memory.js';
import { WasmHeap } from './memory.js';

/**
 * A wasm backend storage. float32 elements live in a block of the WebAssembly memory ("resident",
 * ptr ≥ 0) or, for a while, in a host typed array: after an upload (copied in at first use by a
 * kernel), as the result of a kernel that runs in JavaScript, or after eviction (see Store). Other
 * dtypes stay on the host and use the reference kernels, except int32 outputs of wasm kernels (max
 * pooling's positions), which stay resident for the kernel that reads them back.
 */
export class WasmStorage implements Storage {
  version = 0;
  /** Byte offset of the block, or -1 while the elements are on the host. */
  ptr = -1;
  released = false;
  /** Set once evicted: coming back in proves the storage live (see Store). */
  evicted = false;
  /** Whether the store's FinalizationRegistry frees the block when this storage is collected. */
  registered = false;
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly size: number,
    public host: TypedArray | null,
  ) {}
}

export interface StoreStats extends HeapStats {
  /** Resident bytes above which the next kernel first evicts (see Store). */
  budgetBytes: number;
  evictions: number;
  /** Bytes copied out to the host by evictions so far. */
  evictedBytes: number;
  /** Synchronous collections so far (with a SyncCollector, instead of evictions). */
  collections: number;
}

/** The smallest eviction budget. */
const MIN_BUDGET = 64 * 2 ** 20;
/** The smallest budget between synchronous collections (each costs a full garbage collection). */
const MIN_COLLECT_BUDGET = 256 * 2 ** 20;

/**
 * A way to learn synchronously which storages died: a full garbage collection, then the
 * registry's cleanupSome() runs the finalization callbacks at once (V8 has both behind flags; the
 * Node entry point turns them on where they exist).
 */
export interface SyncCollector {
  gc(): void;
  Registry: new <T>(cleanup: (held: T) => void) => FinalizationRegistry<T> & { cleanupSome(): void };
}

let syncCollector: SyncCollector | null = null;

/** Installs (or removes) the synchronous collector for stores created from now on. */
export function setSyncCollector(c: SyncCollector | null): void {
  syncCollector = c;
}

/**
 * Owns the heap and the residency of storages. A FinalizationRegistry frees the block of a storage
 * that was garbage-collected, so memory stays flat without dispose(). That alone is not enough: the
 * collector does not see WebAssembly memory, so it may run too rarely, and the registry's callbacks
 * only run between event-loop tasks, never inside one synchronous loop (nor between its microtasks).
 * So the store also keeps track of the resident storages, strongly those made during the current
 * task ("young"), by weak reference the older ones, and when resident bytes pass a budget it evicts
 * them all: their elements are copied to host arrays, which the collector does see, and their blocks
 * are reused. Live ones come back at their next use. The budget adapts to the bytes that came back
 * (the proven live set), so a large model is not evicted at every step.
 */
export class Store {
  readonly heap: WasmHeap;
  private young = new Set<WasmStorage>();
  private old = new Set<WeakRef<WasmStorage>>();
  private turnScheduled = false;
  private oldSwept = 1024;
  private budget = MIN_BUDGET;
  private reloaded = 0;
  private evictions = 0;
  private evictedBytes = 0;
  private readonly collector: SyncCollector | null;
  private readonly registry: FinalizationRegistry<[number, number]> & { cleanupSome?(): void };
  private collections = 0;

  constructor(heap = new WasmHeap(), collector = syncCollector) {
    this.heap = heap;
    this.collector = collector;
    const free = ([ptr, bytes]: [number, number]) => this.heap.free(ptr, bytes);
    this.registry = collector ? new collector.Registry(free) : new FinalizationRegistry(free);
    if (collector) this.budget = MIN_COLLECT_BUDGET;
  }

  /** A new resident storage (contents undefined: the caller writes every element); float32 or int32. */
  alloc(backend: Backend, size: number, dtype: 'float32' | 'int32' = 'float32'): WasmStorage {
    const s = new WasmStorage(backend, dtype, size, null);
    this.place(s);
    return s;
  }

  /** The block's byte offset, copying host elements in first. */
  ptr(s: WasmStorage): number {
    if (s.ptr < 0) {
      const host = this.hostOf(s);
      this.place(s);
      (s.dtype === 'int32' ? this.heap.i32 : this.heap.f32).set(host, s.ptr >>> 2);
      s.host = null;
      if (s.evicted) this.reloaded += s.size * 4;
    }
    return s.ptr;
  }

  /** The elements in place: a view of the heap (valid until the next allocation) or the host array. */
  view(s: WasmStorage): TypedArray {
    if (s.ptr >= 0) {
      const at = s.ptr >>> 2;
      return (s.dtype === 'int32' ? this.heap.i32 : this.heap.f32).subarray(at, at + s.size);
    }
    return this.hostOf(s);
  }

  /** Frees the block now, rather than when the storage is collected; the storage is unusable after. */
  release(s: WasmStorage): void {
    this.young.delete(s);
    if (s.ptr >= 0) this.drop(s);
    s.host = null;
    s.released = true;
  }

  /** Called before a kernel allocates `bytes`: evicts when resident bytes would pass the budget. */
  reserve(bytes: number): void {
    if (this.heap.liveBytes + bytes <= this.budget) return;
    if (!this.collector) {
      this.evict();
      return;
    }
    // Free the blocks of the storages that died, at once; what remains is live, so the budget
    // grows with it instead of copying it out.
    this.collector.gc();
    this.registry.cleanupSome!();
    this.collections++;
    this.budget = Math.max(MIN_COLLECT_BUDGET, 2 * this.heap.liveBytes + bytes);
  }

  /** Copies every tracked resident storage out to the host and frees its block. */
  evict(): void {
    const out = (s: WasmStorage) => {
      if (s.ptr < 0) return;
      s.host = this.view(s).slice();
      s.evicted = true;
      this.evictedBytes += s.size * 4;
      this.drop(s);
    };
    this.young.forEach(out);
    this.young.clear();
    for (const r of this.old) {
      const s = r.deref();
      if (s) out(s);
    }
    this.old.clear();
    // Room for twice what proved live since the last eviction, plus the young garbage around it.
    this.budget = Math.max(MIN_BUDGET, 4 * this.reloaded);
    this.reloaded = 0;
    this.evictions++;
  }

  stats(): StoreStats {
    return {
      ...this.heap.stats(),
      budgetBytes: this.budget,
      evictions: this.evictions,
      evictedBytes: this.evictedBytes,
      collections: this.collections,
    };
  }

  private hostOf(s: WasmStorage): TypedArray {
    if (s.released) {
      throw new BackendError(
        'wasm: this storage was released; a tensor that uses it cannot be used any more',
      );
    }
    return s.host!;
  }

  private place(s: WasmStorage): void {
    if (s.size === 0) {
      s.ptr = 0;
      return;
    }
    const bytes = s.size * 4;
    s.ptr = this.heap.alloc(bytes);
    if (this.collector) {
      // Registered at once: this registry's callbacks can run inside a synchronous loop.
      this.registry.register(s, [s.ptr, bytes], s);
      s.registered = true;
      return;
    }
    // Registered with the registry only at the next task (see newTurn): a synchronous loop never
    // pays for registering and unregistering the storages that eviction frees anyway.
    this.young.add(s);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      const t = setTimeout(() => this.newTurn(), 0);
      // Do not keep a Node process alive for this.
      (t as { unref?: () => void }).unref?.();
    }
  }

  /**
   * A new task: the young become old, held weakly. A weak reference made now no longer keeps its
   * target alive once this callback returns, unlike one made during the task that allocated it.
   */
  private newTurn(): void {
    this.turnScheduled = false;
    for (const s of this.young) {
      if (s.ptr <= 0) continue;
      this.registry.register(s, [s.ptr, s.size * 4], s);
      s.registered = true;
      this.old.add(new WeakRef(s));
    }
    this.young.clear();
    if (this.old.size > this.oldSwept) {
      // Forget the references to collected storages once the set has doubled.
      for (const r of this.old) if (!r.deref()) this.old.delete(r);
      this.oldSwept = 2 * Math.max(this.old.size, 1024);
    }
  }

  private drop(s: WasmStorage): void {
    if (s.size > 0) {
      if (s.registered) this.registry.unregister(s);
      s.registered = false;
      this.heap.free(s.ptr, s.size * 4);
    }
    s.ptr = -1;
  }
}
