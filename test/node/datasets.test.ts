import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { IndexError } from '../../src/index.js';
import {
  FormatError,
  MissingFileError,
  builtinDigitsPath,
  loadCsv,
  loadDigits,
  loadFashionMnist,
} from '../../src/node/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

// The compiled test lives in build/test/node: three levels below the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FASHION = join(ROOT, '..', 'shared', 'data', 'fashion-mnist');
const dir = mkdtempSync(join(tmpdir(), 'chainrule-datasets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A folder with the test split, where `damage` replaces the bytes (decompressed) of one file. */
function fashionCopy(
  name: string,
  damage?: { file: string; bytes: (raw: Buffer) => Uint8Array; gzip?: boolean },
): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    if (damage?.file === f) {
      const raw = gunzipSync(readFileSync(join(FASHION, f)));
      const out = damage.bytes(raw);
      writeFileSync(join(d, f), damage.gzip === false ? out : gzipSync(out));
    } else copyFileSync(join(FASHION, f), join(d, f));
  }
  return d;
}

forEachBackend('node datasets', () => {
  test('loadDigits: the built-in 1,797 images, pixels scaled to [0, 1]', () => {
    const { images, labels } = loadDigits();
    assert.deepEqual(images.shape, [1797, 64]);
    assert.equal(images.dtype, 'float32');
    assert.equal(labels.dtype, 'int32');
    assert.deepEqual(labels.shape, [1797]);
    // The first line of the file: 0,0,5,13,9,1,0,0, ... with label 0.
    assertClose(images.narrow(0, 0, 1).narrow(1, 0, 8), [[0, 0, 5 / 16, 13 / 16, 9 / 16, 1 / 16, 0, 0]]);
    const y = Array.from(labels.dataSync());
    assert.deepEqual(y.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Per-class counts of the data set (as scikit-learn's load_digits reports them).
    const counts = Array.from({ length: 10 }, (_, k) => y.filter((v) => v === k).length);
    assert.deepEqual(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    const px = Array.from(images.dataSync());
    assert.equal(Math.max(...px), 1);
    assert.equal(Math.min(...px), 0);
    assert.deepEqual(loadDigits({ flat: false }).images.shape, [1797, 1, 8, 8]);
    assert.match(builtinDigitsPath(), /data[/\\]digits\.csv\.gz$/);
  });

  test('loadDigits: a missing or damaged file names the path', () => {
    const missing = join(dir, 'none.csv.gz');
    assertThrowsMatch(
      () => loadDigits({ path: missing }),
      MissingFileError,
      /^loadDigits: .*none.csv.gz does not exist \(expected the digits CSV/,
    );
    const bytes = readFileSync(builtinDigitsPath());
    const cut = join(dir, 'cut.csv.gz');
    writeFileSync(cut, bytes.subarray(0, 2000));
    assertThrowsMatch(
      () => loadDigits({ path: cut }),
      FormatError,
      /^loadDigits: .*cut.csv.gz is damaged gzip data \(unexpected end of file\)/,
    );
    const notGz = join(dir, 'plain.csv.gz');
    writeFileSync(notGz, '1,2,3\n');
    assertThrowsMatch(() => loadDigits({ path: notGz }), FormatError, /plain.csv.gz is not gzip data/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${Array(65).fill(0).join(',')}\n${Array(64).fill(0).join(',')},x\n`);
    assertThrowsMatch(
      () => loadDigits({ path: bad }),
      FormatError,
      /^loadDigits: .*bad.csv: line 2, field 65: "x" is not a number/,
    );
  });

  test('loadCsv reads a (gzipped) file with a header and a label column', () => {
    const path = join(dir, 'points.csv.gz');
    writeFileSync(path, gzipSync('x1,x2,label\n0.5,1,1\n-2,3e-1,0\n'));
    const { x, y, header } = loadCsv(path, { header: true, labelColumn: 2 });
    assert.deepEqual(header, ['x1', 'x2', 'label']);
    assertClose(x, [
      [0.5, 1],
      [-2, 0.3],
    ]);
    assert.deepEqual(y!.toArray(), [1, 0]);
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, '1,2\n3\n');
    assertThrowsMatch(
      () => loadCsv(ragged),
      FormatError,
      /^loadCsv: .*ragged.csv: line 2 has 1 fields, expected 2 as on line 1/,
    );
    assertThrowsMatch(() => loadCsv(join(dir, 'nope.csv')), MissingFileError, /nope.csv does not exist/);
  });

  test('loadFashionMnist: the test split from the shared folder, with limit', () => {
    const { images, labels } = loadFashionMnist(FASHION, { split: 'test', limit: 50 });
    assert.deepEqual(images.shape, [50, 1, 28, 28]);
    assert.equal(images.dtype, 'float32');
    assert.deepEqual(labels.shape, [50]);
    assert.equal(labels.dtype, 'int32');
    assert.deepEqual(Array.from(labels.dataSync()).slice(0, 10), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    // Image 0, row 14, columns 12 and 13 hold the bytes 98 and 136.
    assertClose(
      images
        .narrow(0, 0, 1)
        .reshape([784])
        .narrow(0, 14 * 28 + 12, 2),
      [98 / 255, 136 / 255],
    );
    const px = Array.from(images.dataSync());
    assert.ok(Math.min(...px) >= 0 && Math.max(...px) <= 1 && Math.max(...px) > 0.99);
    const flat = loadFashionMnist(FASHION, { split: 'test', limit: 3, flat: true });
    assert.deepEqual(flat.images.shape, [3, 784]);
    const train = loadFashionMnist(FASHION, { limit: 10 });
    assert.deepEqual(Array.from(train.labels.dataSync()), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  });

  test('loadFashionMnist: missing or damaged files name the path and what was expected', () => {
    assertThrowsMatch(
      () => loadFashionMnist(join(dir, 'absent')),
      MissingFileError,
      /^loadFashionMnist: folder .*absent does not exist \(expected the Fashion-MNIST files train-images-idx3-ubyte.gz/,
    );
    const onlyTest = fashionCopy('only-test');
    assertThrowsMatch(
      () => loadFashionMnist(onlyTest, { split: 'train' }),
      MissingFileError,
      /only-test\/train-images-idx3-ubyte.gz does not exist \(expected the Fashion-MNIST train images as gzipped IDX\)/,
    );
    assertThrowsMatch(
      () => loadFashionMnist(onlyTest, { split: 'valid' as never }),
      IndexError,
      /split must be 'train' or 'test'/,
    );

    const truncated = fashionCopy('truncated', {
      file: 't10k-images-idx3-ubyte.gz',
      bytes: (raw) => raw.subarray(0, 5000),
    });
    assertThrowsMatch(
      () => loadFashionMnist(truncated, { split: 'test', limit: 1 }),
      FormatError,
      /^loadFashionMnist: .*truncated\/t10k-images-idx3-ubyte.gz: truncated: the header announces 10000×28×28 elements \(7840016 bytes in all\), but the file has only 5000 bytes/,
    );
    const badGzip = fashionCopy('bad-gzip', {
      file: 't10k-labels-idx1-ubyte.gz',
      bytes: (raw) => gzipSync(raw).subarray(0, 300),
      gzip: false,
    });
    assertThrowsMatch(
      () => loadFashionMnist(badGzip, { split: 'test' }),
      FormatError,
      /t10k-labels-idx1-ubyte.gz is damaged gzip data/,
    );
    const swapped = fashionCopy('swapped', {
      file: 't10k-images-idx3-ubyte.gz',
      bytes: () => gunzipSync(readFileSync(join(FASHION, 't10k-labels-idx1-ubyte.gz'))),
    });
    assertThrowsMatch(
      () => loadFashionMnist(swapped, { split: 'test' }),
      FormatError,
      /t10k-images-idx3-ubyte.gz: expected an IDX images file \(magic 2051\), got magic 2049/,
    );
    const fewer = fashionCopy('fewer', {
      file: 't10k-labels-idx1-ubyte.gz',
      bytes: (raw) => {
        const out = Buffer.from(raw.subarray(0, raw.length - 1));
        out.writeUInt32BE(9999, 4);
        return out;
      },
    });
    assertThrowsMatch(
      () => loadFashionMnist(fewer, { split: 'test' }),
      FormatError,
      /holds 10000 images but .*t10k-labels-idx1-ubyte.gz holds 9999 labels/,
    );
  });
});
