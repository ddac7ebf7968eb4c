// Assembles the kernel module (WAT text) for one variant and compiles it to binary with wabt.
import wabtInit from 'wabt';
import { variant } from './wat.mjs';
import { gemmModule, GEMM_BLOCKS } from './gemm.mjs';
import { elementwiseModule } from './elementwise.mjs';
import { reduceModule } from './reduce.mjs';
import { layoutModule } from './layout.mjs';
import { batchnormModule } from './batchnorm.mjs';
import { convModule } from './conv.mjs';
import { layernormModule } from './layernorm.mjs';
import { poolModule } from './pool.mjs';
import { optimModule } from './optim.mjs';

/** The module text. `relaxed` selects relaxed-SIMD FMA; `blocks` overrides GEMM cache blocking (tuning). */
export function moduleText({ relaxed = false, blocks = GEMM_BLOCKS } = {}) {
  const v = variant(relaxed);
  return `(module
  ;; Shared so that worker threads can run the same module on the same memory.
  (import "env" "memory" (memory 1 65536 shared))
  ${gemmModule(v, blocks)}
  ${elementwiseModule(v)}
  ${reduceModule(v)}
  ${layoutModule()}
  ${batchnormModule(v)}
  ${convModule()}
  ${layernormModule()}
  ${poolModule()}
  ${optimModule()}
)
`;
}

/** Compiles WAT to a validated wasm binary. */
export async function assemble(text, name = 'kernels.wat', relaxed = false) {
  const wabt = await wabtInit();
  // The plain variant is validated without relaxed SIMD, so it cannot use it by accident.
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: relaxed };
  const mod = wabt.parseWat(name, text, features);
  try {
    mod.resolveNames();
    mod.validate(features);
    return mod.toBinary({ write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

/** Both variants as binaries. */
export async function buildKernels(options = {}) {
  return {
    simd: await assemble(moduleText({ ...options, relaxed: false }), 'kernels-simd.wat', false),
    relaxed: await assemble(moduleText({ ...options, relaxed: true }), 'kernels-relaxed.wat', true),
  };
}
