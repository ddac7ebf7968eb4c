/**
 * The Node entry point (the package's "node" export condition): turns on relaxed-SIMD in Node 20's
 * V8 (on by default from Node 22) before any WebAssembly is compiled, then is the main entry point.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

export * from './index.js';
