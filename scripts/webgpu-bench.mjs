#!/usr/bin/env node
/**
 * WebGPU benchmark rows, measured in headless Chromium (which has WebGPU where Node has none):
 * float32 GEMM GFLOP/s at a few sizes and MLP training samples/s on 'webgpu' and 'js'. Runs on the
 * compiled tree (test/webgpu/page.js). Without a GPU, Chromium's SwiftShader (CPU) adapter is
 * used: those figures are smoke tests of the path, not GPU performance.
 *
 *   node scripts/webgpu-bench.mjs [--build build] [--sizes 1024,4096] [--json out.json]
 *   node scripts/webgpu-bench.mjs --workloads '{"gemm":{...},"mlp":{...},"cnn":{...}}' --json out.json
 *
 * GEMM sizes default to 1024 and 4096 on a GPU, 256 and 512 on a CPU adapter. With --workloads
 * (what `npm run bench -- --backend webgpu` passes) it runs the benchmark's own workloads and
 * settings (test/webgpu/bench.js) and writes their rows instead.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    build: { type: 'string', default: 'build' },
    sizes: { type: 'string' },
    json: { type: 'string' },
    workloads: { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});
const root = resolve(values.build);
if (!existsSync(join(root, 'test/webgpu/page.js'))) {
  console.error(`no ${join(root, 'test/webgpu/page.js')}: build first (tsc -p .)`);
  process.exit(1);
}

// The tests' static server, from the compiled tree (cross-origin isolated; a blank page at '/').
const { serveStatic } = await import(pathToFileURL(join(root, 'test/serve.js')).href);
const server = await serveStatic(root);
const browser = await chromium.launch({
  executablePath: values.chromium,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const call = (expr) => page.evaluate(`import('/test/webgpu/page.js').then((m) => ${expr})`);
  const adapter = await page.evaluate(
    `import('/src/backend/webgpu/index.js').then((w) => w.initWebGPU()).then((b) => b.adapter)`,
  );
  const cpu = /swiftshader|cpu/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
  if (values.workloads) {
    const settings = JSON.stringify(JSON.parse(values.workloads));
    const rows = await page.evaluate(
      `import('/test/webgpu/bench.js').then((m) => m.benchWorkloads(${settings}))`,
    );
    for (const r of rows) console.log(JSON.stringify(r));
    if (values.json) writeFileSync(values.json, JSON.stringify({ adapter, cpu, rows }, null, 2));
  } else await classic(call, adapter, cpu);
} finally {
  await browser.close();
  server.close();
}

/** The standalone rows: GEMM at a few sizes, and the page's MLP on webgpu and js. */
async function classic(call, adapter, cpu) {
  const rows = [];
  const sizes = values.sizes ?? (cpu ? '256,512' : '1024,4096');
  for (const n of sizes.split(',').map(Number)) {
    const gflops = await call(`m.gemmBench(${n})`);
    rows.push({ bench: `gemm ${n}`, backend: 'webgpu', value: +gflops.toFixed(2), unit: 'GFLOP/s' });
  }
  for (const backend of ['webgpu', 'js']) {
    const sps = await call(`m.mlpBench('${backend}')`);
    rows.push({ bench: 'mlp 784-256-10 train', backend, value: Math.round(sps), unit: 'samples/s' });
  }
  console.log(
    `adapter: ${adapter.source} ${adapter.vendor} ${adapter.architecture}${cpu ? ' (CPU: smoke figures only)' : ''}`,
  );
  for (const r of rows)
    console.log(`${r.bench.padEnd(24)} ${r.backend.padEnd(7)} ${String(r.value).padStart(10)} ${r.unit}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ adapter, rows }, null, 2));
}
