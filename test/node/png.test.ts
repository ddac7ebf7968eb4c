import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ChainruleError, ShapeError, zeros } from '../../src/index.js';
import { FormatError, MissingFileError } from '../../src/node/index.js';
import { imageGrid } from '../../src/node/plot.js';
import { readPng, writePng } from '../../src/node/png.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-png-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pixel(img: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4;
  return Array.from(img.data.slice(i, i + 4));
}

forEachBackend('png files', (backend) => {
  test('writePng then readPng gives back every RGBA value', () => {
    const width = 7;
    const height = 5;
    const data = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 53 + 11) % 256);
    const path = join(dir, `round-${backend}.png`);
    writePng(path, { width, height, data });
    const back = readPng(path);
    assert.equal(back.width, width);
    assert.equal(back.height, height);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  });

  test('writes atomically: replacing leaves no temporary file, a failed write leaves nothing', () => {
    const path = join(dir, `atomic-${backend}.png`);
    writePng(path, { width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) });
    writePng(path, { width: 2, height: 1, data: new Uint8Array([0, 255, 0, 255, 0, 0, 255, 255]) });
    assert.deepEqual(Array.from(readPng(path).data), [0, 255, 0, 255, 0, 0, 255, 255]);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(`atomic-${backend}`)),
      [`atomic-${backend}.png`],
    );
    const missing = join(dir, 'no-such-folder', 'x.png');
    assertThrowsMatch(
      () => writePng(missing, { width: 1, height: 1, data: new Uint8Array(4) }),
      ChainruleError,
      /^writeFileAtomic: cannot write .*no-such-folder\/x.png/,
    );
  });

  test('bad images and files throw clear errors', () => {
    assertThrowsMatch(
      () => writePng(join(dir, 'bad.png'), { width: 2, height: 2, data: new Uint8Array(12) }),
      ShapeError,
      /^writePng: a 2×2 RGBA image needs 16 bytes, got 12/,
    );
    assertThrowsMatch(
      () => writePng(join(dir, 'bad.png'), { width: 0, height: 2, data: new Uint8Array(0) }),
      ShapeError,
      /^writePng: width and height must be positive integers, got 0×2/,
    );
    assertThrowsMatch(
      () => readPng(join(dir, 'absent.png')),
      MissingFileError,
      /^readPng: .*absent.png does not exist/,
    );
    const junk = join(dir, 'junk.png');
    writeFileSync(junk, 'not a png');
    assertThrowsMatch(() => readPng(junk), FormatError, /^readPng: .*junk.png is not a valid PNG image/);
  });

  test('an image grid with captions and marks: expected size, image, caption ink and red border', () => {
    // Three black 4×4 images, 2 per row, magnified twice; captions widen the cells to "ab" (11 px).
    const grid = imageGrid(zeros([3, 1, 4, 4]), {
      nrow: 2,
      scale: 2,
      padding: 2,
      captions: ['ab', 'c', 'd'],
      marks: [false, true, null],
    });
    // Cells 11 wide (caption) and 8 + 12 high (image + caption), 4 px gaps, 2 px border.
    assert.equal(grid.width, 2 * 11 + 4 + 2 * 2);
    assert.equal(grid.height, 2 * 20 + 4 + 2 * 2);
    const path = join(dir, `grid-${backend}.png`);
    writePng(path, grid);
    const img = readPng(path);
    assert.deepEqual(pixel(img, 0, 47), [255, 255, 255, 255], 'background');
    // Image 0 is centred in its cell: columns 3..10, rows 2..9.
    assert.deepEqual(pixel(img, 3, 2), [0, 0, 0, 255]);
    assert.deepEqual(pixel(img, 10, 9), [0, 0, 0, 255]);
    assert.deepEqual(pixel(img, 2, 2), [255, 255, 255, 255]);
    // Between image and caption: paper; in the caption rows: ink.
    const inkIn = (x0: number, x1: number, y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(img, x, y)[1] < 128) n++; // green is low in black and red ink alike
      return n;
    };
    assert.equal(inkIn(2, 13, 10, 13), 0);
    assert.ok(inkIn(2, 13, 13, 21) >= 20, `caption "ab" draws ink, got ${inkIn(2, 13, 13, 21)} pixels`);
    // Image 1 (marked) has a 2 px red border just outside it, and a red caption.
    assert.deepEqual(pixel(img, 16, 0), [214, 39, 40, 255]);
    assert.deepEqual(pixel(img, 17, 11), [214, 39, 40, 255]);
    assert.ok(inkIn(17, 28, 13, 21) > 0);
    // Image 2 has no border.
    assert.deepEqual(pixel(img, 2, 22), [255, 255, 255, 255]);
  });
});
