/**
 * Writes docs/playground-spiral.png: the playground (build/playground, from `npm run build`) after
 * training on the spirals, with one step's backward pass open. Runs Debian's Chromium
 * (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core and Vite's preview server.
 *
 *   npm run playground:screenshot
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}docs/playground-spiral.png`;

const server = await preview({
  configFile: `${root}playground/vite.config.ts`,
  preview: { port: 0, host: '127.0.0.1' },
  logLevel: 'warn',
});
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.playground?.snapshot().backend);
  await page.selectOption('#dataset', 'spirals');
  await page.selectOption('#activation', 'tanh');
  for (const [id, value] of [
    ['noise', '0'],
    ['lr', '0.01'],
    ['hidden', '8, 8, 8'],
  ]) {
    await page.fill(`#${id}`, value);
    await page.locator(`#${id}`).dispatchEvent('change');
  }
  await page.waitForFunction(() => window.playground.snapshot().sizes?.join() === '2,8,8,8,1');
  const started = Date.now();
  // Train until the test accuracy is at least 99% when paused (it wobbles while training).
  for (let tries = 0; tries < 5; tries++) {
    await page.click('#start');
    await page.waitForFunction(() => window.playground.snapshot().testAccuracy >= 0.99, null, {
      timeout: 120_000,
    });
    await page.click('#start');
    await page.waitForTimeout(300); // the last report before the pause
    if ((await page.evaluate(() => window.playground.snapshot().testAccuracy)) >= 0.99) break;
  }
  // Follow the training point the network fits worst (by the heat map): its step has the most to show.
  const s = await page.evaluate(() => window.playground.snapshot());
  const { x, y } = s.train;
  const e = s.extent;
  const n = s.gridSize;
  const cell = (v) => Math.min(n - 1, Math.floor(((v + e) / (2 * e)) * n));
  const misfit = (i) => Math.abs(s.grid[(n - 1 - cell(x[2 * i + 1])) * n + cell(x[2 * i])] - y[i]);
  let sample = 0;
  for (let i = 1; i < y.length; i++) if (misfit(i) > misfit(sample)) sample = i;
  const box = await page.locator('#boundary').boundingBox();
  await page.mouse.click(
    box.x + ((x[2 * sample] + e) / (2 * e)) * box.width,
    box.y + ((e - x[2 * sample + 1]) / (2 * e)) * box.height,
  );
  await page.click('#step');
  await page.waitForFunction(() => window.playground.snapshot().step !== null);
  // The backward pass open; the forward pass and the update folded to keep the picture short.
  await page.evaluate(() => {
    document.querySelector('#forward-pass').open = false;
    document.querySelector('#update-pass').open = false;
  });
  const after = await page.evaluate(() => window.playground.snapshot());
  mkdirSync(`${root}docs`, { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(
    `${out}: epoch ${after.epoch.toFixed(0)}, test accuracy ${after.testAccuracy}, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s on ${after.backend} (${after.thread})`,
  );
} finally {
  await browser.close();
  await server.close();
}
