/**
 * The IDX format of MNIST and Fashion-MNIST (browser-safe, on already decompressed bytes): a
 * big-endian header (two zero bytes, a type code, the number of dims, then each dim as a 32-bit
 * count) followed by the elements, big-endian. Images files have magic 2051 (ubyte, 3 dims), label
 * files 2049 (ubyte, 1 dim).
 */
import { IndexError } from '../tensor/errors.js';
import { fromTypedArray } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { FormatError } from '../io/errors.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** The magic number: type code · 256 + number of dims (2051 for MNIST images). */
  magic: number;
  dims: number[];
  data: IdxData;
}

const TYPES: Record<
  number,
  { size: number; read: (v: DataView, at: number) => number; make: (n: number) => IdxData }
> = {
  0x08: { size: 1, read: (v, at) => v.getUint8(at), make: (n) => new Uint8Array(n) },
  0x09: { size: 1, read: (v, at) => v.getInt8(at), make: (n) => new Int8Array(n) },
  0x0b: { size: 2, read: (v, at) => v.getInt16(at), make: (n) => new Int16Array(n) },
  0x0c: { size: 4, read: (v, at) => v.getInt32(at), make: (n) => new Int32Array(n) },
  0x0d: { size: 4, read: (v, at) => v.getFloat32(at), make: (n) => new Float32Array(n) },
  0x0e: { size: 8, read: (v, at) => v.getFloat64(at), make: (n) => new Float64Array(n) },
};

/** Parses IDX bytes; a FormatError names `source` and what is wrong (magic, truncation, extra bytes). */
export function parseIdx(input: Uint8Array, source = 'IDX data', op = 'parseIdx'): IdxArray {
  // A plain Uint8Array view (a Node Buffer's slice() would not copy).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const fail = (msg: string): never => {
    throw new FormatError(`${op}: ${source}: ${msg}`);
  };
  if (bytes.length < 4) fail(`too short to be an IDX file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = TYPES[bytes[2]];
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || ndim === 0) {
    fail(`not an IDX file (magic number ${magic}, e.g. 2051 for images or 2049 for labels)`);
  }
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize)
    fail(`truncated header: ${ndim} dims need ${headerSize} bytes, the file has ${bytes.length}`);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerSize + count * type.size;
  if (bytes.length < expected) {
    fail(
      `truncated: the header announces ${dims.join('×')} elements (${expected} bytes in all), ` +
        `but the file has only ${bytes.length} bytes`,
    );
  }
  if (bytes.length > expected) {
    fail(
      `${bytes.length - expected} unexpected bytes after the ${dims.join('×')} elements the header announces`,
    );
  }
  let data: IdxData;
  if (type.size === 1 && bytes[2] === 0x08) data = bytes.slice(headerSize, expected);
  else {
    data = type.make(count);
    for (let i = 0; i < count; i++) data[i] = type.read(view, headerSize + i * type.size);
  }
  return { magic, dims, data };
}

export interface MnistOptions {
  /** Keep only the first `limit` samples. */
  limit?: number;
  /** Images as [N, 784] instead of [N, 1, 28, 28] (default false). */
  flat?: boolean;
  /** Named in error messages. */
  imagesSource?: string;
  labelsSource?: string;
  /** The largest label allowed (default 9). */
  maxLabel?: number;
  op?: string;
}

export interface MnistData {
  /** float32 [N, 1, rows, cols] (or [N, rows·cols] when flat), pixels scaled to [0, 1]. */
  images: Tensor;
  /** int32 [N]. */
  labels: Tensor;
}

/**
 * Images and labels of an MNIST-style pair of IDX files (decompressed bytes): checks the magic
 * numbers (2051 and 2049), the sizes and that both files hold the same number of samples.
 */
export function mnistFromIdx(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  opts: MnistOptions = {},
): MnistData {
  const op = opts.op ?? 'mnistFromIdx';
  const imagesSource = opts.imagesSource ?? 'images';
  const labelsSource = opts.labelsSource ?? 'labels';
  const images = parseIdx(imageBytes, imagesSource, op);
  const labels = parseIdx(labelBytes, labelsSource, op);
  if (images.magic !== 2051) {
    throw new FormatError(
      `${op}: ${imagesSource}: expected an IDX images file (magic 2051), got magic ${images.magic}`,
    );
  }
  if (labels.magic !== 2049) {
    throw new FormatError(
      `${op}: ${labelsSource}: expected an IDX labels file (magic 2049), got magic ${labels.magic}`,
    );
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new FormatError(
      `${op}: ${imagesSource} holds ${count} images but ${labelsSource} holds ${labels.dims[0]} labels`,
    );
  }
  let n = count;
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) {
      throw new IndexError(`${op}: limit must be a non-negative integer, got ${opts.limit}`);
    }
    n = Math.min(n, opts.limit);
  }
  const maxLabel = opts.maxLabel ?? 9;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels.data[i];
    if (v > maxLabel)
      throw new FormatError(`${op}: ${labelsSource}: label ${i} is ${v}, expected 0 to ${maxLabel}`);
    y[i] = v;
  }
  const pixels = rows * cols;
  const x = new Float32Array(n * pixels);
  const src = images.data;
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  return {
    images: fromTypedArray(x, opts.flat ? [n, pixels] : [n, 1, rows, cols]),
    labels: fromTypedArray(y, [n]),
  };
}
