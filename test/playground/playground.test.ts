/**
 * End-to-end tests of the playground (playground/, built into build/playground by `npm run build`)
 * in Debian's Chromium, driven by playwright-core. The page imports the library's browser entry; the
 * numbers of its step view are checked here against the library run in Node on the same state.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { autograd, nn, tensor } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { serveStatic } from '../serve.js';

// build/test/playground/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const site = join(root, 'build/playground');
const artifacts = join(root, 'build/test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

declare global {
  interface Window {
    playground: { snapshot(): unknown };
  }
}

/** Chromium offers WebGPU on its SwiftShader (CPU) adapter where there is no GPU only when told to. */
const WEBGPU_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'];

interface StepState {
  sample: number;
  input: number[];
  target: number;
  state: Record<string, { shape: number[]; values: number[] }>;
}

interface Snapshot {
  backend: string | null;
  thread: string | null;
  sizes: number[] | null;
  extent: number | null;
  train: { x: number[]; y: number[] } | null;
  selected: number;
  running: boolean;
  epoch: number;
  steps: number;
  trainLoss: number | null;
  testLoss: number | null;
  gridSize: number;
  grid: number[] | null;
  step: StepState | null;
  errors: string[];
}

let server: Server;
let browser: Browser;
let base: string;

before(async () => {
  server = await serveStatic(site, { index: 'index.html' });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Opens the page and collects what it logs as errors (console.error and uncaught exceptions). */
async function open(
  url: string,
  init?: () => void,
  on: Browser = browser,
): Promise<{ page: Page; errors: string[] }> {
  const page = await on.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (init) await page.addInitScript(init);
  await page.goto(url);
  await page.waitForFunction(() => window.playground !== undefined);
  await waitFor(page, 'the engine reports', 's.backend !== null && s.grid !== null');
  return { page, errors };
}

const snapshot = (page: Page) => page.evaluate(() => window.playground.snapshot() as Snapshot);

/** Waits until the page's snapshot satisfies `test`; on a timeout, says what the page showed. */
async function waitFor(page: Page, what: string, test: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(`(s => ${test})(window.playground.snapshot())`, null, {
      timeout,
      polling: 100,
    });
  } catch (e) {
    const s = await snapshot(page).catch(() => null);
    const brief = s && { ...s, grid: undefined, train: undefined, step: undefined };
    throw new Error(`${what}: ${(e as Error).message}\npage: ${JSON.stringify(brief)}`);
  }
}

/** The heat map's P(class 1) at (x, y). */
function probabilityAt(s: Snapshot, x: number, y: number): number {
  const n = s.gridSize;
  const e = s.extent!;
  const c = Math.min(n - 1, Math.floor(((x + e) / (2 * e)) * n));
  const r = Math.min(n - 1, Math.floor(((e - y) / (2 * e)) * n));
  return s.grid![r * n + c];
}

/** δ and ∂E/∂W of a 2-4-1 tanh network for one sample, by the library in float64. */
function libraryStep(s: StepState): { deltas: number[][]; grads: number[][] } {
  const param = (name: string) => {
    const { shape, values } = s.state[name];
    return tensor(values, { dtype: 'float64' }).reshape(shape).requiresGrad_();
  };
  const [w1, b1, w2, b2] = ['0.weight', '0.bias', '2.weight', '2.bias'].map(param);
  const x = tensor([s.input], { dtype: 'float64' });
  const z1 = x.matmul(w1.t()).add(b1);
  const z2 = z1.tanh().matmul(w2.t()).add(b2);
  const e = nn.functional.binaryCrossEntropyWithLogits(z2, tensor([[s.target]], { dtype: 'float64' }));
  const g = autograd.grad(e, [z1, z2, w1, w2]) as Tensor[];
  const list = (t: Tensor) => Array.from(t.dataSync() as Float64Array);
  return { deltas: [list(g[0]), list(g[1])], grads: [list(g[2]), list(g[3])] };
}

/** Cells of the step view: [layer][index] → value, and the text shown. */
async function cells(
  page: Page,
  q: string,
): Promise<{ layer: number; index: number; value: number; text: string }[]> {
  return page.$$eval(`#step-view [data-q="${q}"]`, (els) =>
    els.map((el) => {
      const d = (el as HTMLElement).dataset;
      const index = d.unit !== undefined ? Number(d.unit) : Number(d.row) * 1000 + Number(d.col);
      return { layer: Number(d.layer), index, value: Number(d.value), text: el.textContent ?? '' };
    }),
  );
}

function assertMatches(
  what: string,
  shown: { layer: number; index: number; value: number; text: string }[],
  expected: number[][],
  width: number[],
): void {
  const count = expected.reduce((n, l) => n + l.length, 0);
  assert.equal(shown.length, count, `${what}: ${shown.length} cells shown, ${count} expected`);
  for (const c of shown) {
    const flat = c.index >= 1000 ? Math.floor(c.index / 1000) * width[c.layer] + (c.index % 1000) : c.index;
    const want = expected[c.layer][flat];
    // float32 on the page against float64 here: relative to the layer's largest value.
    const scale = Math.max(...expected[c.layer].map(Math.abs));
    assert.ok(
      Math.abs(c.value - want) <= 1e-3 * scale + 1e-9,
      `${what} layer ${c.layer} #${c.index}: page ${c.value}, library ${want}`,
    );
    // The text shown is that value, rounded.
    const text = Number(c.text);
    assert.ok(
      Math.abs(text - c.value) <= 6e-3 * Math.abs(c.value) + 5e-5,
      `${what}: '${c.text}' shows ${c.value}`,
    );
  }
}

describe('playground in headless Chromium', () => {
  it('is one self-contained file built from the browser entry', () => {
    const html = readFileSync(join(site, 'index.html'), 'utf8');
    assert.doesNotMatch(
      html,
      /<script[^>]+src=/,
      'no external script: file:// pages cannot load module files',
    );
    // The Node entry's V8 flag and Node modules must not be bundled.
    assert.doesNotMatch(html, /experimental-wasm-relaxed-simd|node:v8|worker_threads/);
  });

  it('trains XOR (4 tanh units) in a worker on wasm; one step shows the library’s δ and gradients', async () => {
    const { page, errors } = await open(base);
    await page.selectOption('#dataset', 'xor');
    await page.fill('#hidden', '4');
    await page.locator('#hidden').dispatchEvent('change');
    await page.selectOption('#activation', 'tanh');
    await waitFor(page, 'the 2-4-1 network', "s.sizes?.join() === '2,4,1' && s.grid !== null");
    const initial = await snapshot(page);
    assert.equal(initial.backend, 'wasm', 'a cross-origin-isolated page runs the wasm backend');
    assert.equal(initial.thread, 'worker');

    const started = performance.now();
    await page.click('#start');
    await waitFor(page, 'test loss below 0.05', 's.testLoss !== null && s.testLoss < 0.05', 60_000);
    const seconds = (performance.now() - started) / 1000;
    await page.click('#start'); // pause
    const trained = await snapshot(page);
    console.log(
      `# XOR: test loss ${trained.testLoss!.toFixed(4)} after ${trained.epoch.toFixed(1)} epochs, ${seconds.toFixed(1)} s`,
    );

    // The boundary changed, into XOR's: class 1 where the coordinates' signs differ.
    const change = Math.max(...trained.grid!.map((p, i) => Math.abs(p - initial.grid![i])));
    assert.ok(change > 0.3, `the heat map changed by at most ${change}`);
    for (const [x, y] of [
      [0.8, 0.8],
      [-0.8, -0.8],
    ])
      assert.ok(probabilityAt(trained, x, y) < 0.2);
    for (const [x, y] of [
      [0.8, -0.8],
      [-0.8, 0.8],
    ])
      assert.ok(probabilityAt(trained, x, y) > 0.8);

    // Follow the training point nearest the centre (the least certain one): click it on the heat map.
    const { x, y } = trained.train!;
    let sample = 0;
    for (let i = 1; i < y.length; i++)
      if (Math.hypot(x[2 * i], x[2 * i + 1]) < Math.hypot(x[2 * sample], x[2 * sample + 1])) sample = i;
    const box = (await page.locator('#boundary').boundingBox())!;
    const e = trained.extent!;
    await page.mouse.click(
      box.x + ((x[2 * sample] + e) / (2 * e)) * box.width,
      box.y + ((e - x[2 * sample + 1]) / (2 * e)) * box.height,
    );
    await page.click('#step');
    await waitFor(page, 'the step view', 's.step !== null');
    const step = (await snapshot(page)).step!;
    assert.equal(step.sample, sample);

    const lib = libraryStep(step);
    assertMatches('δ', await cells(page, 'delta'), lib.deltas, [2, 4]);
    assertMatches('∂E/∂w', await cells(page, 'grad'), lib.grads, [2, 4]);

    await page.locator('#step-view').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'playground-xor.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('offers WebGPU where the browser gives an adapter, and trains XOR on it in a worker', async () => {
    const gpuBrowser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_ARGS });
    try {
      // Served from http://127.0.0.1: a secure context, which navigator.gpu needs.
      const { page, errors } = await open(base, undefined, gpuBrowser);
      await page.waitForFunction(() => document.querySelector('#backend option[value="webgpu"]') !== null);
      const offered = await page.$$eval('#backend option', (os) =>
        os.map((o) => (o as HTMLOptionElement).value),
      );
      assert.deepEqual(offered, ['auto', 'js', 'wasm', 'webgpu']);
      await page.selectOption('#dataset', 'xor');
      await page.fill('#hidden', '4');
      await page.locator('#hidden').dispatchEvent('change');
      await page.selectOption('#activation', 'tanh');
      await page.selectOption('#backend', 'webgpu');
      await waitFor(
        page,
        'the 2-4-1 network on webgpu',
        "s.backend === 'webgpu' && s.sizes?.join() === '2,4,1' && s.grid !== null",
      );
      assert.equal((await snapshot(page)).thread, 'worker');

      const started = performance.now();
      await page.click('#start');
      await waitFor(
        page,
        'test loss below 0.05 on webgpu',
        's.testLoss !== null && s.testLoss < 0.05',
        120_000,
      );
      const seconds = (performance.now() - started) / 1000;
      await page.click('#start'); // pause
      const trained = await snapshot(page);
      console.log(
        `# XOR on webgpu: test loss ${trained.testLoss!.toFixed(4)} after ${trained.epoch.toFixed(1)} epochs, ${seconds.toFixed(1)} s`,
      );
      assert.equal(trained.backend, 'webgpu');
      assert.ok(probabilityAt(trained, 0.8, -0.8) > 0.8 && probabilityAt(trained, -0.8, 0.8) > 0.8);
      assert.ok(probabilityAt(trained, 0.8, 0.8) < 0.2 && probabilityAt(trained, -0.8, -0.8) < 0.2);

      // The step view's numbers, read back from the device, are the library's.
      await page.click('#step');
      await waitFor(page, 'the step view', 's.step !== null');
      const step = (await snapshot(page)).step!;
      const lib = libraryStep(step);
      assertMatches('δ', await cells(page, 'delta'), lib.deltas, [2, 4]);
      assertMatches('∂E/∂w', await cells(page, 'grad'), lib.grads, [2, 4]);
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await gpuBrowser.close();
    }
  });

  it('opened from disk, trains in a worker', async () => {
    const { page, errors } = await open(pathToFileURL(join(site, 'index.html')).href);
    await page.click('#start');
    await waitFor(page, 'two epochs', 's.epoch > 2');
    const s = await snapshot(page);
    assert.equal(s.thread, 'worker');
    assert.ok(s.testLoss! < 0.69, `test loss ${s.testLoss}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('without shared WebAssembly memory or workers, trains on the js backend on the main thread', async () => {
    // What a browser that refuses shared memory to a page that is not cross-origin isolated does.
    const refuseSharedMemory = () => {
      const Memory = WebAssembly.Memory;
      WebAssembly.Memory = function (desc: WebAssembly.MemoryDescriptor) {
        if (desc.shared) throw new TypeError('shared memory needs cross-origin isolation');
        return new Memory(desc);
      } as unknown as typeof WebAssembly.Memory;
    };
    const { page, errors } = await open(
      `${pathToFileURL(join(site, 'index.html')).href}?worker=0`,
      refuseSharedMemory,
    );
    await page.click('#start');
    await waitFor(page, 'two epochs', 's.epoch > 2');
    // The page stays responsive while it trains: a click pauses the training.
    await page.click('#start');
    await page.waitForTimeout(300);
    const paused = await snapshot(page);
    await page.waitForTimeout(300);
    const s = await snapshot(page);
    assert.equal(s.steps, paused.steps, 'no steps after the pause');
    assert.equal(s.backend, 'js');
    assert.equal(s.thread, 'main thread');
    assert.ok(s.testLoss! < 0.69, `test loss ${s.testLoss}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
