import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BackendError, setBackend, tensor, zeros } from '../../src/index.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { WasmHeap, classBytes, sizeClass } from '../../src/backend/wasm/memory.js';
import { Store } from '../../src/backend/wasm/store.js';
import type { Backend } from '../../src/backend/backend.js';
import { nodeSyncCollector } from '../../src/node/wasm-collector.js';
import { assertThrowsMatch } from '../helpers.js';

// A way to force a full collection without starting node with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const nextTask = () => new Promise((r) => setTimeout(r, 0));

describe('wasm heap: size classes', () => {
  it('rounds up to 16-byte aligned classes wasting at most a quarter', () => {
    let prev = -1;
    for (let n = 1; n < 5_000_000; n = Math.ceil(n * 1.07) + 1) {
      const c = sizeClass(n);
      const size = classBytes(c);
      assert.ok(size >= n, `class of ${n} holds ${size}`);
      assert.equal(size % 16, 0);
      assert.ok(size <= Math.max(16, n * 1.25 + 16), `class of ${n} wastes too much: ${size}`);
      assert.ok(c >= prev, 'classes grow with the request');
      assert.equal(sizeClass(size), c, 'a class size maps to its own class');
      prev = c;
    }
    // Exact boundaries.
    assert.equal(classBytes(sizeClass(256)), 256);
    assert.equal(classBytes(sizeClass(257)), 320);
    assert.equal(classBytes(sizeClass(512)), 512);
    assert.equal(classBytes(sizeClass(513)), 640);
  });
});

describe('wasm heap: allocator', () => {
  it('hands out aligned, disjoint blocks and reuses freed ones', () => {
    const heap = new WasmHeap(1);
    const a = heap.alloc(100);
    const b = heap.alloc(100);
    const c = heap.alloc(40);
    for (const p of [a, b, c]) assert.equal(p % 16, 0);
    assert.ok(a > 0, 'offset 0 is never handed out');
    assert.ok(b >= a + 100 && c >= b + 100);
    heap.free(a, 100);
    assert.equal(heap.stats().freeBytes, classBytes(sizeClass(100)));
    assert.equal(heap.alloc(97), a, 'same class: the freed block comes back');
    assert.equal(heap.stats().freeBytes, 0);
  });

  it('returns the topmost block to the bump region', () => {
    const heap = new WasmHeap(1);
    heap.alloc(64);
    const top = heap.stats().topBytes;
    const p = heap.alloc(1000);
    heap.free(p, 1000);
    assert.equal(heap.stats().topBytes, top);
    assert.equal(heap.stats().freeBytes, 0);
    assert.equal(heap.alloc(3000), p, 'any size can take it');
  });

  it('counts live bytes', () => {
    const heap = new WasmHeap(1);
    const ps = Array.from({ length: 10 }, () => heap.alloc(1024));
    assert.equal(heap.stats().liveBytes, 10 * 1024);
    ps.forEach((p) => heap.free(p, 1024));
    assert.equal(heap.stats().liveBytes, 0);
  });

  it('grows the memory and re-creates its views', () => {
    const heap = new WasmHeap(1);
    const before = heap.f32;
    assert.equal(before.length, 65536 / 4);
    const p = heap.alloc(200_000);
    assert.ok(heap.capacity >= p + 200_000);
    const after = heap.f32;
    assert.equal(after.length * 4, heap.capacity);
    after[(p + 199_996) / 4] = 7;
    assert.equal(heap.u8.length, heap.capacity);
    assert.equal(new Float32Array(heap.memory.buffer)[(p + 199_996) / 4], 7);
  });

  it('throws a BackendError when the memory cannot grow', () => {
    const heap = new WasmHeap(1, 2);
    heap.alloc(100_000);
    assertThrowsMatch(() => heap.alloc(100_000), BackendError, /^wasm: out of memory/, /limit is/);
  });
});

describe('wasm backend: memory without dispose()', () => {
  it('frees the blocks of collected tensors', async () => {
    const be = setBackend('wasm') as WasmBackend;
    await nextTask();
    gc();
    await nextTask();
    const base = be.memoryStats().liveBytes;
    let keep = zeros([4]);
    for (let i = 0; i < 200; i++) keep = zeros([1024]).add(i);
    assert.ok(be.memoryStats().liveBytes >= base + 200 * 4096, 'the blocks are in use');
    await nextTask(); // a new task: the registry takes over from the young set
    gc();
    await nextTask(); // finalization callbacks run
    await nextTask();
    const live = be.memoryStats().liveBytes;
    assert.ok(live <= base + 3 * 4096, `live bytes ${live} vs ${base} before`);
    assert.equal(keep.sum().item(), 1024 * 199);
    setBackend('js');
  });

  it('stays bounded in a synchronous loop, where finalizers cannot run', () => {
    const be = setBackend('wasm') as WasmBackend;
    const first = tensor([1, 2, 3]).mul(2);
    const evictions = be.memoryStats().evictions;
    // 2,000 steps of 256 KiB each: 500 MiB without eviction.
    let acc = zeros([65536]);
    for (let i = 0; i < 2000; i++) acc = acc.add(1);
    const s = be.memoryStats();
    assert.ok(s.evictions > evictions, 'young storages were evicted');
    assert.ok(s.capacityBytes <= 128 * 2 ** 20, `memory grew to ${s.capacityBytes} bytes`);
    assert.ok(s.liveBytes <= s.budgetBytes, 'resident bytes within the budget');
    assert.equal(acc.sum().item(), 2000 * 65536);
    assert.deepEqual(Array.from(first.dataSync()), [2, 4, 6], 'an evicted live tensor keeps its values');
    assert.deepEqual(Array.from(first.add(1).dataSync()), [3, 5, 7], 'and comes back in for kernels');
    setBackend('js');
  });

  it('releases a storage early on request', () => {
    const be = setBackend('wasm') as WasmBackend;
    const t = zeros([10_000]).add(1);
    const live = be.memoryStats().liveBytes;
    be.release(t.storage);
    assert.equal(be.memoryStats().liveBytes, live - classBytes(sizeClass(40_000)));
    assertThrowsMatch(() => t.dataSync(), BackendError, /^wasm: this storage was released/);
    setBackend('js');
  });
});

describe('wasm backend: synchronous collection (Node)', () => {
  it('frees dead tensors inside a synchronous loop without copying anything out', () => {
    const collector = nodeSyncCollector();
    assert.ok(collector, 'this V8 offers a full collection and FinalizationRegistry.cleanupSome');
    const store = new Store(new WasmHeap(), collector);
    const be = { name: 'test' } as unknown as Backend;
    // 1,000 dead 1 MiB storages: 1 GiB without collection, within the 256 MiB budget with it.
    let keep = store.alloc(be, 16);
    for (let i = 0; i < 1000; i++) {
      store.reserve(2 ** 20);
      keep = store.alloc(be, 2 ** 18);
    }
    const s = store.stats();
    assert.ok(s.collections > 0, 'collections ran');
    assert.equal(s.evictions, 0, 'nothing was copied out');
    // The heap grows by doubling: past the budget once, never to the 1 GiB allocated in all.
    assert.ok(s.capacityBytes <= 512 * 2 ** 20, `memory grew to ${s.capacityBytes} bytes`);
    assert.ok(s.liveBytes <= s.budgetBytes, 'resident bytes within the budget');
    assert.ok(keep.ptr > 0, 'the live storage stays resident');
  });
});
