import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, IndexError, nn, tensor } from '../../src/index.js';
import { FormatError, safetensors } from '../../src/io/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const fixture = (name: string): URL => new URL(`../../../fixtures/${name}`, import.meta.url);
const expected = JSON.parse(readFileSync(fixture('safetensors.json'), 'utf8')) as Record<
  string,
  {
    metadata: Record<string, string> | null;
    tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  }
>;

/** The file's bytes with an 8-byte little-endian length and a JSON header (padded as given). */
function build(header: string, data: number[] = [], pad = true): Uint8Array {
  const json = new TextEncoder().encode(header);
  const n = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const out = new Uint8Array(8 + n + data.length);
  new DataView(out.buffer).setUint32(0, n, true);
  out.fill(0x20, 8, 8 + n);
  out.set(json, 8);
  out.set(data, 8 + n);
  return out;
}

const text = (b: Uint8Array, from: number, to: number): string =>
  new TextDecoder().decode(b.subarray(from, to));

forEachBackend('io.safetensors', () => {
  test('round trip of every dtype, shape and metadata', () => {
    const tensors: Record<string, Tensor> = {
      w: tensor([
        [1.5, -2],
        [3, 0.1],
      ]),
      d: tensor([Math.PI, -1e300, 5e-324], { dtype: 'float64' }),
      n: tensor([[-7, 2147483647]], { dtype: 'int32' }),
      m: tensor([true, false, true]),
      s: tensor(2.5),
      e: tensor([], { dtype: 'float32' }).reshape([0, 3]),
      '0': tensor([4], { dtype: 'int32' }),
    };
    const bytes = safetensors.encode(tensors, { format: 'pt', note: 'ü "quoted"' });
    const { tensors: back, metadata } = safetensors.decode(bytes);
    assert.deepEqual(metadata, { format: 'pt', note: 'ü "quoted"' });
    assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      assert.equal(back[name].dtype, t.dtype, name);
      assert.deepEqual(back[name].shape, t.shape, name);
      assert.deepEqual(Array.from(back[name].dataSync()), Array.from(t.dataSync()), name);
    }
    // Without metadata the header has no "__metadata__" and decode says null.
    assert.equal(safetensors.decode(safetensors.encode({ w: tensors.w })).metadata, null);
  });

  test('layout: header padded with spaces to 8 bytes, data sorted by alignment then name', () => {
    const bytes = safetensors.encode({ attn0: tensor([0, 1, 2, 3, 4, 5]).reshape([1, 1, 2, 3]) });
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    assert.equal(bytes.length, 8 + 72 + 24);
    assert.equal(new DataView(bytes.buffer).getUint32(0, true), 72);
    assert.equal(text(bytes, 8, 80), header + ' '.repeat(72 - header.length));
    assert.deepEqual(Array.from(new Float32Array(bytes.slice(80).buffer)), [0, 1, 2, 3, 4, 5]);
    const empty = safetensors.encode({});
    assert.deepEqual(Array.from(empty), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const order = safetensors.encode({
      b: tensor([true]),
      a: tensor([1], { dtype: 'int32' }),
      c: tensor([1], { dtype: 'float64' }),
      B: tensor([1], { dtype: 'float32' }),
      A: tensor([1], { dtype: 'float32' }),
    });
    const keys = [...text(order, 8, order.length).matchAll(/"([A-Za-z])":\{/g)].map((m) => m[1]);
    assert.deepEqual(keys, ['c', 'A', 'B', 'a', 'b']);
  });

  test('encodes byte for byte like the reference layout written by Python', () => {
    const file = new Uint8Array(readFileSync(fixture('reference_layout.safetensors')));
    const { tensors, metadata } = safetensors.decode(file);
    assert.deepEqual(Array.from(safetensors.encode(tensors, metadata)), Array.from(file));
  });

  test('decodes a PyTorch state dict (Linear + BatchNorm1d, int64 num_batches_tracked)', () => {
    const bytes = new Uint8Array(readFileSync(fixture('torch_state.safetensors')));
    const { tensors, metadata } = safetensors.decode(bytes);
    const exp = expected.torch_state;
    assert.deepEqual(metadata, exp.metadata);
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(exp.tensors).sort());
    for (const [name, e] of Object.entries(exp.tensors)) {
      const t = tensors[name];
      assert.equal(t.dtype, e.dtype === 'I64' ? 'int32' : 'float32', name);
      assertClose(t, tensor(e.values, { dtype: 'float64' }).reshape(e.shape), { atol: 0, rtol: 0 });
    }
    assert.equal(tensors['1.num_batches_tracked'].item(), 3);
    assert.deepEqual(tensors['0.weight'].shape, [4, 3]);
  });

  test('the PyTorch state dict loads one to one into the same chainrule model', () => {
    const { tensors } = safetensors.decode(new Uint8Array(readFileSync(fixture('torch_state.safetensors'))));
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    assert.deepEqual(model.loadStateDict(tensors), { missingKeys: [], unexpectedKeys: [] });
    const sd = model.stateDict();
    for (const [name, e] of Object.entries(expected.torch_state.tensors)) {
      assertClose(sd[name], tensor(e.values, { dtype: 'float64' }).reshape(e.shape), { atol: 0, rtol: 0 });
    }
    // And back: chainrule's file of that state decodes to the same values.
    const again = safetensors.decode(safetensors.encode(sd)).tensors;
    assertClose(again['1.running_var'], sd['1.running_var'], { atol: 0, rtol: 0 });
  });

  test('decodes the dtypes PyTorch writes: F16, BF16, I64, I16, I8, U8, BOOL, 0-d and empty', () => {
    const { tensors, metadata } = safetensors.decode(
      new Uint8Array(readFileSync(fixture('torch_dtypes.safetensors'))),
    );
    assert.equal(metadata, null);
    const dtypeOf: Record<string, string> = {
      F16: 'float32',
      BF16: 'float32',
      F32: 'float32',
      F64: 'float64',
      BOOL: 'bool',
    };
    for (const [name, e] of Object.entries(expected.torch_dtypes.tensors)) {
      const t = tensors[name];
      assert.equal(t.dtype, dtypeOf[e.dtype] ?? 'int32', name);
      assert.deepEqual(t.shape, e.shape, name);
      const got = Array.from(t.dataSync());
      assert.deepEqual(got, e.values, name);
    }
    assert.ok(Object.is(tensors.half.dataSync()[1], -0));
  });

  test('F16 specials, and I64 values outside int32 are refused', () => {
    const half = build(
      '{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}',
      [0x00, 0x7c, 0x00, 0xfc, 0x01, 0x7e],
    );
    const h = Array.from(safetensors.decode(half).tensors.h.dataSync());
    assert.deepEqual(h.slice(0, 2), [Infinity, -Infinity]);
    assert.ok(Number.isNaN(h[2]));
    const big = build(
      '{"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}',
      [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
    );
    assertThrowsMatch(
      () => safetensors.decode(big),
      DTypeError,
      /^decode: tensor 'n' \(I64\) holds 4294967296 at element 1, outside the int32 range/,
    );
    const u32 = build('{"u":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0x80]);
    assertThrowsMatch(() => safetensors.decode(u32), DTypeError, /holds 2147483648/);
    const f8 = build('{"q":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [1]);
    assertThrowsMatch(() => safetensors.decode(f8), DTypeError, /dtype F8_E4M3, which chainrule cannot read/);
  });

  test('damaged or foreign input throws a FormatError that says what is wrong', () => {
    const good = safetensors.encode({ a: tensor([1, 2]), b: tensor([3]) });
    assertThrowsMatch(
      () => safetensors.decode(good.subarray(0, 5)),
      FormatError,
      /^decode: too short to be a safetensors file \(5 bytes/,
    );
    assertThrowsMatch(
      () => safetensors.decode(good.subarray(0, 20)),
      FormatError,
      /header length \d+ is beyond the end of the file \(20 bytes\)/,
    );
    assertThrowsMatch(
      () => safetensors.decode(good.subarray(0, good.length - 3)),
      FormatError,
      /tensor 'b' needs data bytes 8–12, but the file holds only 9 bytes of data after the header: the file is truncated/,
    );
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    assertThrowsMatch(
      () => safetensors.decode(png, { source: 'cat.png' }),
      FormatError,
      /^decode: cat.png: header length .* not a safetensors file/,
    );
    const json = new TextEncoder().encode('{\n  "weights": [1, 2, 3]\n}\n');
    assertThrowsMatch(() => safetensors.decode(json), FormatError, /not a safetensors file/);
    assertThrowsMatch(
      () => safetensors.decode(build('{"a": nope}')),
      FormatError,
      /the header is not valid JSON/,
    );
    assertThrowsMatch(
      () => safetensors.decode(build('[1,2]')),
      FormatError,
      /the header is not a JSON object/,
    );
    assertThrowsMatch(
      () => safetensors.decode(build('{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
      FormatError,
      /tensor 'a' has unknown dtype "F33"/,
    );
    assertThrowsMatch(
      () => safetensors.decode(build('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
      FormatError,
      /tensor 'a': shape \[2\] of F32 needs 8 bytes, but data_offsets \[0,4\] hold 4/,
    );
    const overlap =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    assertThrowsMatch(
      () => safetensors.decode(build(overlap, Array(8).fill(0))),
      FormatError,
      /tensors 'a' and 'b' overlap/,
    );
    const gap = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    assertThrowsMatch(
      () => safetensors.decode(build(gap, Array(8).fill(0))),
      FormatError,
      /data bytes 0–4 belong to no tensor/,
    );
    const tail = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    assertThrowsMatch(
      () => safetensors.decode(build(tail, Array(6).fill(0))),
      FormatError,
      /2 bytes after the last tensor's data/,
    );
    assertThrowsMatch(
      () =>
        safetensors.decode(build('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
      FormatError,
      /invalid shape \[-1\]/,
    );
    assertThrowsMatch(
      () => safetensors.decode(build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', [0, 0, 0, 0])),
      FormatError,
      /invalid data_offsets \[4,0\]/,
    );
    assertThrowsMatch(
      () => safetensors.decode(build('{"__metadata__":{"k":1}}')),
      FormatError,
      /"__metadata__" value 'k' is not a string/,
    );
    // A hostile name cannot touch the prototype of the result.
    const proto = safetensors.decode(
      build('{"__proto__":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', [1, 0, 0, 0]),
    );
    assert.equal(Object.getPrototypeOf(proto.tensors), Object.prototype);
    assert.deepEqual(Object.keys(proto.tensors), ['__proto__']);
    // Unpadded headers (other writers) are accepted.
    assert.deepEqual(
      Array.from(
        safetensors
          .decode(build('{"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', [5, 0, 0, 0], false))
          .tensors.a.dataSync(),
      ),
      [5],
    );
  });

  test('encode rejects what it cannot write', () => {
    assertThrowsMatch(
      () => safetensors.encode({ __metadata__: tensor([1]) }),
      IndexError,
      /^encode: the name '__metadata__' is reserved/,
    );
    assertThrowsMatch(
      () => safetensors.encode({ a: [1, 2] as never }),
      DTypeError,
      /^encode: 'a' is not a Tensor/,
    );
    assertThrowsMatch(
      () => safetensors.encode({}, { v: 1 as never }),
      DTypeError,
      /metadata values must be strings, but 'v'/,
    );
  });

  test('encodeAsync writes the same bytes', async () => {
    const t = { x: tensor([1, 2, 3]), y: tensor([true]) };
    assert.deepEqual(
      Array.from(await safetensors.encodeAsync(t, { a: 'b' })),
      Array.from(safetensors.encode(t, { a: 'b' })),
    );
  });
});
