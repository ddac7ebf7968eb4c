/**
 * Turns on V8's synchronous finalization (a full collection, then FinalizationRegistry's
 * cleanupSome) for the wasm backend's memory: without it, a synchronous training loop can only
 * reclaim wasm memory by copying tensors out (see backend/wasm/store.ts).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { SyncCollector } from '../backend/wasm/store.js';
import { setSyncCollector } from '../backend/wasm/store.js';

/** The collector where this V8 offers both pieces (Node 20 does), else null. */
export function nodeSyncCollector(): SyncCollector | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    v8.setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    // Flags take effect in contexts created after they are set.
    const context = vm.createContext({});
    const gc = vm.runInContext('gc', context) as unknown;
    const Registry = vm.runInContext('FinalizationRegistry', context) as SyncCollector['Registry'];
    if (typeof gc !== 'function' || typeof Registry?.prototype?.cleanupSome !== 'function') return null;
    return { gc: gc as () => void, Registry };
  } catch {
    return null;
  }
}

/** Installs the collector for wasm backends created from now on; false where V8 lacks it. */
export function useSyncCollector(): boolean {
  const c = nodeSyncCollector();
  setSyncCollector(c);
  return c !== null;
}
