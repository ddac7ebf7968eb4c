import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndexError, ShapeError, tensor, zeros } from '../../src/index.js';
import { heatmap, imageGrid, linePlot, scatterPlot } from '../../src/node/plot.js';
import { formatTick, niceTicks } from '../../src/vision/axes.js';
import type { RgbaImage } from '../../src/vision/raster.js';
import { Canvas, PALETTE, textSize } from '../../src/vision/raster.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

function pixel(img: RgbaImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4;
  return Array.from(img.data.slice(i, i + 3));
}

/** Pixels of exactly this RGB colour. */
function count(img: RgbaImage, rgb: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (img.data[i] === rgb[0] && img.data[i + 1] === rgb[1] && img.data[i + 2] === rgb[2]) n++;
  }
  return n;
}

test('canvas: rectangles, lines and text land where asked', () => {
  const c = new Canvas(20, 12);
  c.fillRect(2, 3, 4, 2, [255, 0, 0]);
  assert.deepEqual(c.getPixel(2, 3), [255, 0, 0, 255]);
  assert.deepEqual(c.getPixel(5, 4), [255, 0, 0, 255]);
  assert.deepEqual(c.getPixel(6, 4), [255, 255, 255, 255]);
  c.line(0, 11, 19, 11, [0, 0, 255]);
  for (let x = 0; x < 20; x++) assert.deepEqual(c.getPixel(x, 11), [0, 0, 255, 255]);
  // Half-transparent black over white blends to grey.
  c.setPixel(10, 0, [0, 0, 0, 128]);
  assert.deepEqual(c.getPixel(10, 0).slice(0, 3), [127, 127, 127]);
  // "1" is 5 × 7 ink: its top-centre pixel is set, the corner beside it is not.
  const t = new Canvas(7, 9);
  t.text('1', 1, 1, [0, 0, 0]);
  assert.deepEqual(t.getPixel(3, 1), [0, 0, 0, 255]);
  assert.deepEqual(t.getPixel(1, 1), [255, 255, 255, 255]);
  // Proportional: T 5, - 3, s 5, h 5, i 3, r 5, t 5, / 5, o 5, p 5, plus 1 px between glyphs.
  assert.deepEqual(textSize('T-shirt/top'), { width: 51 + 10, height: 8 });
  // Two lines: the wider one counts, lines are 10 px apart (times the scale).
  assert.deepEqual(textSize('0.93\nAnkle boot', 2), { width: 2 * (45 + 9), height: 2 * 18 });
});

test('nice ticks and their labels', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-2.3, 2.1, 4), [-2, -1, 0, 1, 2]);
  assert.deepEqual(niceTicks(0.95, 20.5, 6), [5, 10, 15, 20]);
  assert.equal(formatTick(0.30000000000000004, 0.1), '0.3');
  assert.equal(formatTick(1500, 500), '1500');
  assert.equal(formatTick(2e-6, 1e-6), '2e-6');
});

forEachBackend('plots', () => {
  test('imageGrid: RGB images keep their colours, values are clipped to the range', () => {
    const rgb = tensor([[[[2]], [[0.5]], [[-1]]]]); // [1, 3, 1, 1]
    const g = imageGrid(rgb, { padding: 1, range: [0, 1] });
    assert.deepEqual([g.width, g.height], [3, 3]);
    assert.deepEqual(pixel(g, 1, 1), [255, 128, 0]);
    const n = imageGrid(tensor([[[[-3, 5]]]]), { padding: 0, normalize: true });
    assert.deepEqual(
      [pixel(n, 0, 0), pixel(n, 1, 0)],
      [
        [0, 0, 0],
        [255, 255, 255],
      ],
    );
    assertThrowsMatch(
      () => imageGrid(zeros([2, 2, 4, 4])),
      ShapeError,
      /^imageGrid: expected images \[N, H, W\] or \[N, C, H, W\] with C = 1 or 3, got \[2,2,4,4\]/,
    );
    assertThrowsMatch(
      () => imageGrid(zeros([2, 4, 4]), { captions: ['a'] }),
      ShapeError,
      /^imageGrid: got 1 captions for 2 images/,
    );
  });

  test('heatmap: cells coloured from light to dark, values in contrasting ink', () => {
    const img = heatmap(
      [
        [0, 1],
        [2, 3],
      ],
      { cellSize: 20 },
    );
    // Grid starts after the row labels ("0", 5 px) and margins: left 19, top 10.
    assert.deepEqual(pixel(img, 21, 12), [247, 251, 255]);
    assert.deepEqual(pixel(img, 19 + 20 + 2, 10 + 20 + 2), [8, 48, 107]);
    let white = 0;
    for (let y = 30; y < 50; y++) for (let x = 39; x < 59; x++) if (pixel(img, x, y)[1] === 255) white++;
    assert.ok(white > 5, 'the value 3 is written in white on the darkest cell');
    assertThrowsMatch(() => heatmap([[1, 2], [3]]), ShapeError, /^heatmap: row 1 has 1 values, row 0 has 2/);
    assertThrowsMatch(
      () => heatmap([[1]], { rowLabels: ['a', 'b'] }),
      ShapeError,
      /^heatmap: got 2 rowLabels for 1 rows/,
    );
  });

  test('linePlot: each series in its palette colour, title and legend drawn', () => {
    const img = linePlot(
      [
        { name: 'train', y: [3, 2, 1.5, 1.2] },
        { name: 'val', x: [0, 1, 2, 3], y: tensor([3.2, 2.5, 2.1, 2]) },
      ],
      { title: 'Loss', xLabel: 'epoch', yLabel: 'loss', width: 320, height: 240 },
    );
    assert.deepEqual([img.width, img.height], [320, 240]);
    assert.ok(count(img, PALETTE[0]) > 100 && count(img, PALETTE[1]) > 100);
    assert.ok(count(img, [0, 0, 0]) > 200, 'frame, ticks and text');
    const log = linePlot([{ y: [100, 10, 1, 0.1] }], { yScale: 'log' });
    assert.ok(count(log, PALETTE[0]) > 100);
    assertThrowsMatch(
      () => linePlot([{ x: [1, 2], y: [1] }]),
      ShapeError,
      /^linePlot: series 0 has 2 x values and 1 y values/,
    );
    assertThrowsMatch(
      () => linePlot([{ y: [1] }], { yScale: 'log', yRange: [0, 1] }),
      IndexError,
      /^linePlot: a log y scale needs a positive yRange/,
    );
    assertThrowsMatch(() => linePlot([]), IndexError, /^linePlot: expected at least one series/);
  });

  test('scatterPlot: groups from a [N, 2] tensor or pairs, drawn in translucent colours', () => {
    const pts = tensor([
      [0, 0],
      [1, 1],
      [2, 0.5],
    ]);
    const img = scatterPlot(
      [
        { name: 'real', points: pts },
        { name: 'fake', points: [[1, 0.2]], color: [200, 0, 0] },
      ],
      { alpha: 1, radius: 3 },
    );
    assert.ok(count(img, PALETTE[0]) > 3 * 20, 'three opaque discs');
    assert.ok(count(img, [200, 0, 0]) > 20);
    assertThrowsMatch(
      () => scatterPlot([{ points: zeros([3, 3]) }]),
      ShapeError,
      /^scatterPlot: group 0 points must be \[N, 2\], got \[3,3\]/,
    );
    assertThrowsMatch(
      () => scatterPlot([{ x: [1] }]),
      IndexError,
      /^scatterPlot: group 0 needs points, or both x and y/,
    );
  });
});
