import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndexError, data } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const { parseCsv, csvToTensors, parseDigits, parseIdx, mnistFromIdx, FormatError } = data;

/** Builds IDX bytes: big-endian header (0, 0, type, ndim, dims) then the given payload. */
function idx(type: number, dims: number[], payload: number[] | Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(head.buffer);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

forEachBackend('data.parseCsv', () => {
  test('numbers per line; header, CRLF, blank lines, quotes, BOM, nan and inf', () => {
    const text = '\uFEFFa, "b,c" ,d\r\n1,2.5,-3e2\r\n\r\n"4",nan,inf\n  \n.5,-INF,+7\n';
    const t = parseCsv(text, { header: true });
    assert.deepEqual(t.header, ['a', 'b,c', 'd']);
    assert.equal(t.rows.length, 3);
    assert.deepEqual(t.rows[0], [1, 2.5, -300]);
    assert.ok(Number.isNaN(t.rows[1][1]));
    assert.deepEqual([t.rows[1][0], t.rows[1][2]], [4, Infinity]);
    assert.deepEqual(t.rows[2], [0.5, -Infinity, 7]);
    assert.deepEqual(parseCsv('1;2\n3;4', { delimiter: ';' }).rows, [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(parseCsv('', {}).rows, []);
  });

  test('a bad field or a ragged line names the line', () => {
    assertThrowsMatch(
      () => parseCsv('1,2,3\n4,abc,6\n', {}),
      FormatError,
      /^parseCsv: line 2, field 2: "abc" is not a number/,
    );
    assertThrowsMatch(
      () => parseCsv('1,2,3\n\n4,5\n', { source: 'x.csv' }),
      FormatError,
      /^parseCsv: x.csv: line 3 has 2 fields, expected 3 as on line 1/,
    );
    assertThrowsMatch(() => parseCsv('1,,3', {}), FormatError, /line 1, field 2: "" is not a number/);
    assertThrowsMatch(() => parseCsv('0x10', {}), FormatError, /"0x10" is not a number/);
    assertThrowsMatch(() => parseCsv('1', { delimiter: '' }), IndexError, /^parseCsv: invalid delimiter/);
  });

  test('csvToTensors splits off the label column', () => {
    const t = parseCsv('1,2,0\n3,4,2\n5,6,1\n', {});
    const { x, y } = csvToTensors(t, { labelColumn: -1 });
    assertClose(x, [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.equal(x.dtype, 'float32');
    assert.equal(y!.dtype, 'int32');
    assert.deepEqual(y!.toArray(), [0, 2, 1]);
    const first = csvToTensors(t, { labelColumn: 0, dtype: 'float64', labelDtype: 'float32' });
    assertClose(first.x, [
      [2, 0],
      [4, 2],
      [6, 1],
    ]);
    assert.equal(first.x.dtype, 'float64');
    assert.equal(csvToTensors(t).y, null);
    assertThrowsMatch(
      () => csvToTensors(t, { labelColumn: 3 }),
      IndexError,
      /labelColumn 3 is out of range for 3 columns/,
    );
    assertThrowsMatch(
      () => csvToTensors(parseCsv('1,0.5', {}), { labelColumn: 1 }),
      FormatError,
      /data row 1: label 0.5 is not a whole number/,
    );
  });

  test('parseDigits: 64 pixels scaled by 1/16 and a label per line', () => {
    const line = (v: number, label: number): string => [...Array(64).fill(v), label].join(',');
    const d = parseDigits(`${line(16, 3)}\n${line(4, 9)}\n`);
    assert.deepEqual(d.images.shape, [2, 64]);
    assert.equal(d.images.dtype, 'float32');
    assertClose(d.images.narrow(1, 0, 2), [
      [1, 1],
      [0.25, 0.25],
    ]);
    assert.deepEqual(d.labels.toArray(), [3, 9]);
    assert.deepEqual(parseDigits(line(1, 0), { flat: false }).images.shape, [1, 1, 8, 8]);
    assertThrowsMatch(
      () => parseDigits(`${line(1, 0)}\n${line(17, 0)}`),
      FormatError,
      /row 2, pixel 1: 17 is not an integer from 0 to 16/,
    );
    assertThrowsMatch(() => parseDigits(line(1, 10)), FormatError, /row 1: label 10 is not a digit/);
    assertThrowsMatch(() => parseDigits('1,2,3'), FormatError, /lines have 3 fields, expected 65/);
  });
});

forEachBackend('data.parseIdx and mnistFromIdx', () => {
  test('parses the big-endian header and payload of any IDX type', () => {
    const a = parseIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5, 255]));
    assert.equal(a.magic, 0x0802);
    assert.deepEqual(a.dims, [2, 3]);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 255]);
    const be = new Uint8Array(8);
    new DataView(be.buffer).setInt32(0, -5);
    new DataView(be.buffer).setInt32(4, 70000);
    assert.deepEqual(Array.from(parseIdx(idx(0x0c, [2], be)).data), [-5, 70000]);
  });

  test('foreign, truncated and over-long data throw FormatErrors naming the source', () => {
    assertThrowsMatch(
      () => parseIdx(new TextEncoder().encode('{"a": 1}'), 'x.json'),
      FormatError,
      /^parseIdx: x.json: not an IDX file/,
    );
    assertThrowsMatch(() => parseIdx(new Uint8Array(2), 'y'), FormatError, /too short/);
    assertThrowsMatch(
      () => parseIdx(idx(0x08, [2, 3], [1, 2, 3]), 'z'),
      FormatError,
      /^parseIdx: z: truncated: .* 2×3 elements \(18 bytes in all\), .* only 15 bytes/,
    );
    assertThrowsMatch(
      () => parseIdx(idx(0x08, [1], [1, 2])),
      FormatError,
      /1 unexpected bytes after the 1 elements/,
    );
    assertThrowsMatch(
      () => parseIdx(idx(0x08, [5, 1000, 1000], []).subarray(0, 10)),
      FormatError,
      /truncated header/,
    );
  });

  test('mnistFromIdx checks magic numbers, counts and labels', () => {
    const images = idx(0x08, [3, 2, 2], [0, 51, 102, 255, 1, 2, 3, 4, 5, 6, 7, 8]);
    const labels = idx(0x08, [3], [9, 0, 4]);
    const d = mnistFromIdx(images, labels);
    assert.deepEqual(d.images.shape, [3, 1, 2, 2]);
    assertClose(d.images.narrow(0, 0, 1).reshape([4]), [0, 0.2, 0.4, 1]);
    assert.deepEqual(d.labels.toArray(), [9, 0, 4]);
    const two = mnistFromIdx(images, labels, { limit: 2, flat: true });
    assert.deepEqual(two.images.shape, [2, 4]);
    assert.deepEqual(two.labels.toArray(), [9, 0]);
    assertThrowsMatch(
      () => mnistFromIdx(labels, labels, { imagesSource: 'imgs' }),
      FormatError,
      /imgs: expected an IDX images file \(magic 2051\), got magic 2049/,
    );
    assertThrowsMatch(
      () => mnistFromIdx(images, images, { labelsSource: 'lbl' }),
      FormatError,
      /lbl: expected an IDX labels file \(magic 2049\), got magic 2051/,
    );
    assertThrowsMatch(
      () => mnistFromIdx(images, idx(0x08, [2], [1, 2])),
      FormatError,
      /holds 3 images but labels holds 2 labels/,
    );
    assertThrowsMatch(
      () => mnistFromIdx(images, idx(0x08, [3], [1, 12, 2])),
      FormatError,
      /label 1 is 12, expected 0 to 9/,
    );
  });
});
