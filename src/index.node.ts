/**
 * The Node entry point (the package's "node" export condition): turns on relaxed-SIMD in Node 20's
 * V8 (on by default from Node 22) before any WebAssembly is compiled, registers worker threads for
 * the wasm backend, then is the main entry point.
 */
import v8 from 'node:v8';
import { useSyncCollector } from './node/wasm-collector.js';
import { useNodeWorkers } from './node/wasm-threads.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
// The wasm backend's large kernels run on all cores (CHAINRULE_THREADS overrides).
useNodeWorkers();
// Dead tensors' wasm memory is reclaimed inside synchronous loops too (CHAINRULE_SYNC_GC=0 turns it off).
if (globalThis.process?.env?.CHAINRULE_SYNC_GC !== '0') useSyncCollector();

export * from './index.js';
