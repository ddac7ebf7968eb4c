/**
 * The backend the engine trains on: the library's own pick ('auto': wasm where the page is
 * cross-origin isolated, else js), or one chosen on the page. WebGPU is offered where
 * navigator.gpu gives an adapter; it reads only asynchronously, which the trainer allows for.
 */
import { getBackend, initWebGPU, setBackend } from 'chainrule';

export type BackendChoice = 'auto' | 'js' | 'wasm' | 'webgpu';

// Taken once, before any choice, so that 'auto' always means the library's default.
const auto = getBackend().name;
let available: Promise<BackendChoice[]> | null = null;

async function hasAdapter(): Promise<boolean> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  try {
    return !!(gpu && (await gpu.requestAdapter()));
  } catch {
    return false;
  }
}

/** The choices that work in this thread ('auto' first). */
export function availableBackends(): Promise<BackendChoice[]> {
  available ??= (async () => {
    const names: BackendChoice[] = ['auto'];
    for (const name of ['js', 'wasm'] as const) {
      try {
        setBackend(name);
        names.push(name);
      } catch {
        // Not here: wasm needs shared memory, which a page without cross-origin isolation lacks.
      }
    }
    setBackend(auto);
    if (await hasAdapter()) names.push('webgpu');
    return names;
  })();
  return available;
}

/** Makes `choice` the current backend and returns its name; says why where it cannot. */
export async function useBackend(choice: BackendChoice): Promise<string> {
  if (choice === 'webgpu') await initWebGPU();
  setBackend(choice === 'auto' ? auto : choice);
  return getBackend().name;
}
