import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ChainruleError, tensor } from '../../src/index.js';
import {
  FormatError,
  MissingFileError,
  loadSafetensors,
  saveSafetensors,
  writeFileAtomic,
} from '../../src/node/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

forEachBackend('node files', () => {
  test('writeFileAtomic writes and replaces a file, leaving no temporary file', () => {
    const path = join(dir, 'a.txt');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, new Uint8Array([104, 105]));
    assert.equal(readFileSync(path, 'utf8'), 'hi');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('a.txt')),
      ['a.txt'],
    );
  });

  test('a failed atomic write names the path and leaves the old file alone', () => {
    const path = join(dir, 'no-such-folder', 'x.bin');
    assertThrowsMatch(
      () => writeFileAtomic(path, 'x'),
      ChainruleError,
      /^writeFileAtomic: cannot write .*no-such-folder\/x.bin: ENOENT/,
    );
    // Renaming onto a folder fails after the data was written: the temporary file is removed.
    const folder = join(dir, 'occupied');
    mkdirSync(folder, { recursive: true }); // the suite runs once per backend
    writeFileSync(join(folder, 'inside.txt'), 'old');
    assertThrowsMatch(
      () => writeFileAtomic(folder, 'x'),
      ChainruleError,
      /^writeFileAtomic: cannot write .*occupied/,
    );
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.equal(readFileSync(join(folder, 'inside.txt'), 'utf8'), 'old');
  });

  test('saveSafetensors / loadSafetensors round trip', () => {
    const path = join(dir, 'model.safetensors');
    saveSafetensors(
      path,
      {
        'fc.weight': tensor([
          [1, 2],
          [3, 4],
        ]),
        step: tensor([7], { dtype: 'int32' }),
      },
      { epoch: '3' },
    );
    const { tensors, metadata } = loadSafetensors(path);
    assert.deepEqual(metadata, { epoch: '3' });
    assertClose(tensors['fc.weight'], [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(tensors.step.toArray(), [7]);
  });

  test('loading a missing, truncated, PNG or JSON file gives a clear error with the path', () => {
    const path = join(dir, 'full.safetensors');
    saveSafetensors(path, { w: tensor([1, 2, 3, 4]) });
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
    assertThrowsMatch(
      () => loadSafetensors(cut),
      FormatError,
      /^loadSafetensors: .*cut.safetensors: tensor 'w' needs data bytes 0–16, .* the file is truncated/,
    );
    const cutHeader = join(dir, 'cut2.safetensors');
    writeFileSync(cutHeader, bytes.subarray(0, 30));
    assertThrowsMatch(
      () => loadSafetensors(cutHeader),
      FormatError,
      /cut2.safetensors: header length \d+ is beyond the end of the file \(30 bytes\)/,
    );
    const png = join(dir, 'image.png');
    writeFileSync(
      png,
      Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
    );
    assertThrowsMatch(
      () => loadSafetensors(png),
      FormatError,
      /^loadSafetensors: .*image.png: .*not a safetensors file/,
    );
    const json = join(dir, 'weights.json');
    writeFileSync(json, JSON.stringify({ w: [1, 2, 3] }));
    assertThrowsMatch(() => loadSafetensors(json), FormatError, /weights.json: .*not a safetensors file/);
    assertThrowsMatch(
      () => loadSafetensors(join(dir, 'nothing.safetensors')),
      MissingFileError,
      /^loadSafetensors: .*nothing.safetensors does not exist \(expected a safetensors file\)/,
    );
    assertThrowsMatch(() => loadSafetensors(dir), FormatError, /is a folder \(expected a safetensors file\)/);
  });
});
