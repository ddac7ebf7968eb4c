import { BackendError } from '../../tensor/errors.js';

const PAGE = 65536;
/** WebAssembly's 32-bit address space: 4 GiB. */
export const MAX_PAGES = 65536;
export const ALIGN = 16;
/** Blocks up to this size come in steps of 16 bytes; above, in 4 steps per power of two. */
const SMALL = 256;
const SMALL_CLASSES = SMALL / ALIGN;

/** The size class of a request of `bytes` (> 0) bytes. */
export function sizeClass(bytes: number): number {
  const n = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (n <= SMALL) return n / ALIGN - 1;
  // Split [2^e, 2^(e+1)) into four classes so that rounding up wastes at most a quarter.
  const e = 31 - Math.clz32(n - 1);
  const quarter = 2 ** (e - 2);
  const step = Math.ceil((n - 2 ** e) / quarter);
  return SMALL_CLASSES + (e - 8) * 4 + step - 1;
}

/** The block size of a class (inverse of sizeClass, rounded up). */
export function classBytes(cls: number): number {
  if (cls < SMALL_CLASSES) return (cls + 1) * ALIGN;
  const k = cls - SMALL_CLASSES;
  const e = 8 + Math.floor(k / 4);
  return 2 ** e + ((k % 4) + 1) * 2 ** (e - 2);
}

export interface HeapStats {
  /** Bytes in blocks handed out and not yet freed. */
  liveBytes: number;
  /** Bytes in blocks waiting on the free lists. */
  freeBytes: number;
  /** The memory's size. */
  capacityBytes: number;
  /** The bump pointer: everything above is untouched. */
  topBytes: number;
}

/**
 * The WebAssembly memory that float32 storages live in, and a JS-side allocator over it: segregated
 * free lists by size class (a training loop asks for the same few sizes again and again, so a freed
 * block is reused as is), a bump pointer above them, and growth of the memory when the bump pointer
 * runs out. Blocks are never split or merged: simple and fast, at the price of memory held by a size
 * class that a workload stops using. Views are re-created lazily after growth.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private freeLists: number[][] = [];
  private top = ALIGN; // offset 0 stays unused so that 0 never names a block
  private live = 0;
  private free_ = 0;
  private _f32: Float32Array;
  private _i32: Int32Array;
  private _u8: Uint8Array;

  constructor(
    initialPages = 256,
    readonly maxPages = MAX_PAGES,
    shared = true,
  ) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared });
    this._f32 = new Float32Array(this.memory.buffer);
    this._i32 = new Int32Array(this.memory.buffer);
    this._u8 = new Uint8Array(this.memory.buffer);
  }

  /** A float32 view of the whole memory (re-created after growth). */
  get f32(): Float32Array {
    if (this._f32.length * 4 !== this.memory.buffer.byteLength) this.refreshViews();
    return this._f32;
  }

  /** An int32 view of the whole memory (re-created after growth). */
  get i32(): Int32Array {
    if (this._i32.length * 4 !== this.memory.buffer.byteLength) this.refreshViews();
    return this._i32;
  }

  get u8(): Uint8Array {
    if (this._u8.length !== this.memory.buffer.byteLength) this.refreshViews();
    return this._u8;
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this._f32 = new Float32Array(buf);
    this._i32 = new Int32Array(buf);
    this._u8 = new Uint8Array(buf);
  }

  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes the next allocations can take without growing the memory (from the bump region). */
  get headroom(): number {
    return this.capacity - this.top;
  }

  get liveBytes(): number {
    return this.live;
  }

  stats(): HeapStats {
    return { liveBytes: this.live, freeBytes: this.free_, capacityBytes: this.capacity, topBytes: this.top };
  }

  /** A 16-byte aligned block of at least `bytes` bytes (contents undefined). */
  alloc(bytes: number): number {
    const cls = sizeClass(bytes);
    const size = classBytes(cls);
    const list = this.freeLists[cls];
    let ptr: number;
    if (list && list.length > 0) {
      ptr = list.pop()!;
      this.free_ -= size;
    } else {
      if (this.top + size > this.capacity) this.grow(this.top + size);
      ptr = this.top;
      this.top += size;
    }
    this.live += size;
    return ptr;
  }

  /** Returns a block from alloc(bytes) (the same byte count) to its free list. */
  free(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    const size = classBytes(cls);
    this.live -= size;
    if (ptr + size === this.top) {
      // The topmost block goes back to the bump region, where any size can use it.
      this.top = ptr;
      return;
    }
    (this.freeLists[cls] ??= []).push(ptr);
    this.free_ += size;
  }

  /** Grows the memory to hold `needed` bytes: at least doubling, so that growth is rare. */
  private grow(needed: number): void {
    const have = this.capacity / PAGE;
    const want = Math.ceil(needed / PAGE);
    const pages = Math.min(this.maxPages, Math.max(want, have * 2));
    if (want > this.maxPages) {
      throw new BackendError(
        `wasm: out of memory: ${fmtBytes(needed)} needed, the limit is ${fmtBytes(this.maxPages * PAGE)}`,
      );
    }
    try {
      this.memory.grow(pages - have);
    } catch (e) {
      throw new BackendError(`wasm: out of memory: cannot grow to ${fmtBytes(pages * PAGE)} (${String(e)})`);
    }
  }
}

export function fmtBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} bytes`;
}
