/**
 * The WebGPU backend's tests. Node has no WebGPU of its own, so they run in Debian's Chromium
 * (headless, driven by playwright-core), whose WebGPU runs on its built-in SwiftShader (CPU)
 * adapter where there is no GPU: the page (page.ts, served from the compiled tree) checks every
 * kernel against the reference backend and trains a small MLP. In Node itself only the optional
 * `webgpu` package (Dawn) can provide an adapter; where it finds none that one check is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { probeWebGPU } from '../../src/backend/webgpu/index.js';
import { setBackend, tensor } from '../../src/index.js';
import { serveStatic } from '../serve.js';
import type { SuiteReport } from './page.js';
import type { SharedReport } from './suite/suite-page.js';

// <repo>/build/test/webgpu/ -> <repo>: the server serves the compiled tree and the fixtures.
const build = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = resolve(build, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// SwiftShader is a CPU implementation: Chromium offers it only when told that is acceptable.
const ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--js-flags=--expose-gc',
];

describe('webgpu backend', () => {
  let server: Server;
  let browser: Browser;
  let base: string;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium is needed for the WebGPU tests: none at ${CHROMIUM} (set CHROMIUM_PATH)`,
    );
    server = await serveStatic(root, { nodeShims: true });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  it('passes the conformance suite in headless Chromium', async (t) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // The page is served from http://127.0.0.1: a secure context, which navigator.gpu needs.
    await page.goto(base);
    const only = process.env.CHAINRULE_WEBGPU_ONLY ?? '';
    const report = (await page.evaluate(
      `import('/build/test/webgpu/page.js').then((m) => m.runSuite(${JSON.stringify(only || undefined)}))`,
    )) as SuiteReport;
    await page.close();
    t.diagnostic(
      `adapter: ${report.adapter}; ms per part: ${JSON.stringify(report.timings)}; pipelines: ${report.pipelines}`,
    );
    for (const r of report.results) if (/^(training|memory)/.test(r.name)) t.diagnostic(r.name);
    assert.deepEqual(errors, []);
    // One subtest per group (the results' first word), listing every failure of the group.
    const groups = new Map<string, typeof report.results>();
    for (const r of report.results) {
      const key = r.name.split(/[ :]/)[0];
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, rs] of groups) {
      await t.test(`${key} (${rs.length} checks)`, () => {
        const failed = rs.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail ?? 'failed'}`);
        assert.equal(failed.length, 0, failed.join('\n'));
      });
    }
  });

  it('passes the shared test suite with webgpu as the backend', async (t) => {
    const files = sharedTestFiles();
    const filtered = process.env.CHAINRULE_WEBGPU_SUITE !== undefined;
    assert.ok(
      filtered || files.length > 45,
      `only ${files.length} shared test files found under ${build}/test`,
    );
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(base);
    const report = (await page.evaluate(
      `import('/build/test/webgpu/suite/suite-page.js').then((m) => m.runShared(${JSON.stringify(files)}, ${JSON.stringify({ CHAINRULE_BACKEND: 'webgpu' })}))`,
    )) as SharedReport;
    await page.close();
    assert.equal(report.fatal, undefined, report.fatal);
    assert.deepEqual(errors, []);
    const all = report.files.flatMap((f) => f.results);
    const skipped = all.filter((r) => r.skipped !== undefined);
    t.diagnostic(
      `${report.files.length} files, ${all.length} tests (${skipped.length} skipped); kernel calls on the device ${report.counts?.device}, ` +
        `float64 on the reference ${report.counts?.reference}, reads ${report.counts?.reads}; ` +
        `buffers live ${report.device?.live}, pooled ${report.device?.pooled}`,
    );
    for (const r of skipped) t.diagnostic(`skipped: ${r.name}: ${r.skipped}`);
    assert.deepEqual(report.device?.errors, [], 'the device reported validation errors');
    for (const f of report.files) {
      await t.test(
        `${f.file.replace('/build/test/', '')} (${f.results.length} tests, ${Math.round(f.ms)} ms)`,
        () => {
          const failed = f.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
          assert.equal(failed.length, 0, failed.join('\n\n'));
        },
      );
    }
  });

  it('in Node, runs on the optional webgpu package where it finds an adapter', async (t) => {
    const probe = await probeWebGPU();
    if (!probe.ok) {
      assert.match(probe.reason, /webgpu/);
      t.skip(`no WebGPU adapter in Node here: ${probe.reason}`);
      return;
    }
    setBackend('webgpu');
    try {
      const y = tensor([
        [1, 2],
        [3, 4],
      ]).matmul(tensor([[1], [1]]));
      assert.deepEqual(Array.from(await y.data()), [3, 7]);
    } finally {
      setBackend('js');
    }
  });
});

/**
 * Directories whose tests are not the backend's business: the example programs (processes, files,
 * progress bars), Node-only tools, the wasm backend's own kernels, the browser tests themselves.
 */
const NOT_SHARED = ['backend', 'examples', 'node', 'package', 'playground', 'webgpu'];

/**
 * The compiled shared test files as server paths (or those matching CHAINRULE_WEBGPU_SUITE), less
 * those that import the Node-only entry (src/node: loggers writing files, worker threads).
 */
function sharedTestFiles(): string[] {
  const only = process.env.CHAINRULE_WEBGPU_SUITE?.split(',');
  const dir = join(build, 'test');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.js') && !NOT_SHARED.includes(f.split('/')[0]))
    .filter((f) => !/from '(\.\.\/)+src\/node\//.test(readFileSync(join(dir, f), 'utf8')))
    .filter((f) => !only || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => '/' + relative(root, join(dir, f)));
}
