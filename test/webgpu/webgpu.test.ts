/**
 * The WebGPU backend's tests. Node has no WebGPU of its own, so they run in Debian's Chromium
 * (headless, driven by playwright-core), whose WebGPU runs on its built-in SwiftShader (CPU)
 * adapter where there is no GPU: the page (page.ts, served from the compiled tree) checks every
 * kernel against the reference backend and trains a small MLP. In Node itself only the optional
 * `webgpu` package (Dawn) can provide an adapter; where it finds none that one check is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { probeWebGPU } from '../../src/backend/webgpu/index.js';
import { setBackend, tensor } from '../../src/index.js';
import type { SuiteReport } from './page.js';

// <out>/test/webgpu/ -> <out>, the compiled tree the page imports from.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// SwiftShader is a CPU implementation: Chromium offers it only when told that is acceptable.
const ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--js-flags=--expose-gc',
];

/** Serves the compiled tree (ES modules load as they are: no bundling needed) and a blank page. */
function serve(dir: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>webgpu tests</title>');
      return;
    }
    try {
      const body = await readFile(join(dir, path));
      res.writeHead(200, {
        'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'application/octet-stream',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

describe('webgpu backend', () => {
  let server: Server;
  let browser: Browser;
  let base: string;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium is needed for the WebGPU tests: none at ${CHROMIUM} (set CHROMIUM_PATH)`,
    );
    server = await serve(root);
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
      `import('/test/webgpu/page.js').then((m) => m.runSuite(${JSON.stringify(only || undefined)}))`,
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
