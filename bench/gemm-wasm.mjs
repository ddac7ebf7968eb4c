// Single-thread sgemm GFLOP/s of the WebAssembly kernels (both variants, all transpose combinations),
// straight from the generators in scripts/wasm/ (no TypeScript build needed):
//   node bench/gemm-wasm.mjs [sizes...]            e.g. node bench/gemm-wasm.mjs 128 512 1024
// GEMM_KC / GEMM_MC / GEMM_NC / GEMM_ORDER override the cache blocking (for tuning).
import v8 from 'node:v8';
import { assemble, buildKernels } from '../scripts/wasm/module.mjs';
import { GEMM_BLOCKS } from '../scripts/wasm/gemm.mjs';

// Node 20 validates relaxed SIMD only with this flag, set before compiling.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (sizes.length === 0) sizes.push(128, 512, 1024);
const blocks = {
  KC: Number(process.env.GEMM_KC ?? GEMM_BLOCKS.KC),
  MC: Number(process.env.GEMM_MC ?? GEMM_BLOCKS.MC),
  NC: Number(process.env.GEMM_NC ?? GEMM_BLOCKS.NC),
  order: process.env.GEMM_ORDER ?? GEMM_BLOCKS.order,
};
const kernels = await buildKernels({ blocks });
const combos = [
  ['A·B', 0, 0],
  ['Aᵀ·B', 1, 0],
  ['A·Bᵀ', 0, 1],
  ['Aᵀ·Bᵀ', 1, 1],
];

function instantiate(bytes, floats) {
  const pages = Math.ceil((floats * 4) / 65536) + 16;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return { k: exports, f32: new Float32Array(memory.buffer) };
}

/**
 * GFLOP/s of each transpose combination: rounds interleave the combinations and each keeps its best round,
 * timed by this process's CPU time, so that on a shared machine other processes' load does not count.
 */
function measureAll(k, n, a, b, c, s) {
  const flop = 2 * n * n * n;
  const reps = Math.max(1, Math.round(1e9 / flop));
  const best = combos.map(() => 0);
  // Warm-up: lets V8 tier the code up before timing.
  for (const [, tA, tB] of combos)
    for (let r = 0; r < Math.min(reps, 3); r++) k.gemm(a, b, c, n, n, n, tA, tB, 0, n, s, 0);
  for (let round = 0; round < 7; round++) {
    combos.forEach(([, tA, tB], i) => {
      const t0 = process.cpuUsage();
      for (let r = 0; r < reps; r++) k.gemm(a, b, c, n, n, n, tA, tB, 0, n, s, 0);
      const dt = process.cpuUsage(t0);
      best[i] = Math.max(best[i], (flop * reps) / ((dt.user + dt.system) * 1e3));
    });
  }
  return best;
}

console.log(
  `f32x4 peak of this CPU (the 4×8 block's multiply-adds without loads, plain / relaxed): ${(await peak(false)).toFixed(1)} / ${(await peak(true)).toFixed(1)} GFLOP/s`,
);
console.log(`blocks KC=${blocks.KC} MC=${blocks.MC} NC=${blocks.NC} ${blocks.order}; GFLOP/s, one thread`);
console.log(['variant', 'n', ...combos.map((c) => c[0])].map((s) => s.padStart(8)).join(''));
for (const [variant, bytes] of [
  ['simd', kernels.simd],
  ['relaxed', kernels.relaxed],
]) {
  if (!WebAssembly.validate(bytes)) {
    console.log(`${variant}: not supported by this runtime`);
    continue;
  }
  for (const n of sizes) {
    const { k, f32 } = instantiate(bytes, 3 * n * n + scratchFloats(n));
    const a = 0;
    const b = n * n * 4;
    const c = 2 * n * n * 4;
    const s = 3 * n * n * 4;
    for (let i = 0; i < 2 * n * n; i++) f32[i] = Math.random() - 0.5;
    const row = measureAll(k, n, a, b, c, s).map((g) => g.toFixed(1));
    console.log([variant, n, ...row].map((x) => String(x).padStart(8)).join(''));
  }
}

/** Scratch floats for gemm at n (a bound; the module's gemm_scratch_bytes gives the exact figure). */
function scratchFloats(n) {
  return 64 + blocks.KC * (blocks.MC + Math.min(n + 8, blocks.NC));
}

/**
 * The ceiling for the micro-kernel on this CPU: its 4×8 block of multiply-adds (8 accumulators, products
 * of 4 × 2 distinct vectors) without the loads, in GFLOP/s. GEMM's share of it says how much is left.
 */
async function peak(relaxed) {
  const pairs = [];
  for (let i = 0; i < 4; i++) for (let h = 0; h < 2; h++) pairs.push([`$a${i}`, `$b${h}`, `$c${i}${h}`]);
  const madd = (a, b, c) =>
    relaxed
      ? `(f32x4.relaxed_madd (local.get ${a}) (local.get ${b}) (local.get ${c}))`
      : `(f32x4.add (f32x4.mul (local.get ${a}) (local.get ${b})) (local.get ${c}))`;
  const vars = ['$a0', '$a1', '$a2', '$a3', '$b0', '$b1'];
  const text = `(module
    (func (export "peak") (param $n i32) (result f32)
      ${[...vars, ...pairs.map((p) => p[2])].map((c) => `(local ${c} v128)`).join(' ')}
      ${vars.map((x, i) => `(local.set ${x} (f32x4.splat (f32.const ${1e-3 * (i + 1)})))`).join('\n')}
      (loop $l
        ${pairs.map(([a, b, c]) => `(local.set ${c} ${madd(a, b, c)})`).join('\n')}
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (local.get $n)))
      (f32x4.extract_lane 0 ${pairs.reduce((e, p) => `(f32x4.add ${e} (local.get ${p[2]}))`, '(local.get $a0)')})))`;
  const bytes = await assemble(text, 'peak.wat', relaxed);
  if (!WebAssembly.validate(bytes)) return NaN;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  exports.peak(1e5);
  let best = 0;
  for (let t = 0; t < 7; t++) {
    const t0 = process.cpuUsage();
    exports.peak(1e7);
    const dt = process.cpuUsage(t0);
    best = Math.max(best, (pairs.length * 8 * 1e7) / ((dt.user + dt.system) * 1e3));
  }
  return best;
}
