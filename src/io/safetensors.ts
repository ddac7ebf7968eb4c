/**
 * The safetensors format (browser-safe): an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {key: value}}` padded with
 * spaces to 8 bytes, then the tensors' little-endian bytes, back to back. Files written here are byte
 * for byte what the reference implementation writes; files written by PyTorch (F16, BF16, I64, ...)
 * are read and converted to chainrule's dtypes.
 */
import type { DType, TypedArray } from '../tensor/dtype.js';
import { DTypeError, IndexError, fmtShape } from '../tensor/errors.js';
import { fromTypedArray } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import { FormatError } from './errors.js';

/** The dtype names of the format, in the reference's order of increasing alignment (its sort key). */
// prettier-ignore
export const SAFETENSORS_DTYPES = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64',
] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** Bytes per element, in the order of SAFETENSORS_DTYPES. */
const ITEM_SIZE = Object.fromEntries(
  SAFETENSORS_DTYPES.map((d, i) => [d, [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8][i]]),
) as Record<SafetensorsDType, number>;

const TO_FILE: Record<DType, SafetensorsDType> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};

/** Headers above this size are refused, as the reference does (it guards against hostile files). */
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  /** The "__metadata__" map, or null when the file has none. */
  metadata: Record<string, string> | null;
}

export interface DecodeOptions {
  /** Where the bytes came from (a path), named in error messages. */
  source?: string;
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  values: TypedArray;
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes. Tensors are read with
 * dataSync(); for a backend that reads only asynchronously use encodeAsync.
 */
export function encode(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string> | null,
): Uint8Array {
  return assemble(
    checkTensors('encode', tensors).map(([name, t]) => entryOf(name, t, t.dataSync())),
    checkMetadata('encode', metadata),
  );
}

/** encode() for every backend: reads each tensor with `await tensor.data()`. */
export async function encodeAsync(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string> | null,
): Promise<Uint8Array> {
  const checked = checkTensors('encodeAsync', tensors);
  const meta = checkMetadata('encodeAsync', metadata);
  const entries: Entry[] = [];
  for (const [name, t] of checked) entries.push(entryOf(name, t, await t.data()));
  return assemble(entries, meta);
}

function entryOf(name: string, t: Tensor, values: TypedArray): Entry {
  return { name, dtype: TO_FILE[t.dtype], shape: [...t.shape], values };
}

function checkTensors(op: string, tensors: Record<string, Tensor>): [string, Tensor][] {
  if (typeof tensors !== 'object' || tensors === null || tensors instanceof Tensor) {
    throw new IndexError(`${op}: expected an object mapping names to tensors`);
  }
  const out = Object.entries(tensors);
  for (const [name, t] of out) {
    if (name === '__metadata__')
      throw new IndexError(`${op}: the name '__metadata__' is reserved for metadata`);
    if (!(t instanceof Tensor)) throw new DTypeError(`${op}: '${name}' is not a Tensor (got ${typeof t})`);
  }
  return out;
}

function checkMetadata(
  op: string,
  metadata: Record<string, string> | null | undefined,
): [string, string][] | null {
  if (metadata === undefined || metadata === null) return null;
  const out = Object.entries(metadata);
  for (const [k, v] of out) {
    if (typeof v !== 'string') {
      throw new DTypeError(`${op}: metadata values must be strings, but '${k}' is a ${typeof v}`);
    }
  }
  return out;
}

/** Orders strings by code point, which is the byte order of their UTF-8 (the reference's order). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function assemble(entries: Entry[], metadata: [string, string][] | null): Uint8Array {
  const rank = (d: SafetensorsDType): number => SAFETENSORS_DTYPES.indexOf(d);
  // Largest alignment first, then by name: every tensor's data stays aligned to its element size.
  entries.sort((a, b) => rank(b.dtype) - rank(a.dtype) || compareCodePoints(a.name, b.name));
  // The JSON is built by hand: object key order would put integer-like names first.
  const parts: string[] = [];
  if (metadata) {
    parts.push(
      `"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  }
  let offset = 0;
  for (const e of entries) {
    const n = e.values.length * ITEM_SIZE[e.dtype];
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],` +
        `"data_offsets":[${offset},${offset + n}]}`,
    );
    offset += n;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const e of entries) {
    writeLittleEndian(out, at, e.values);
    at += e.values.length * ITEM_SIZE[e.dtype];
  }
  return out;
}

function writeLittleEndian(out: Uint8Array, at: number, values: TypedArray): void {
  if (LITTLE_ENDIAN_HOST || values.BYTES_PER_ELEMENT === 1) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, values.byteLength);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Float32Array) view.setFloat32(i * 4, values[i], true);
    else if (values instanceof Float64Array) view.setFloat64(i * 8, values[i], true);
    else view.setInt32(i * 4, values[i], true);
  }
}

/**
 * Parses safetensors bytes into tensors: F32, F64, I32 and BOOL as they are; F16 and BF16 become
 * float32; I64, U64, U32 become int32 when every value fits (else a DTypeError); I8, U8, I16, U16
 * become int32. A damaged or foreign input throws a FormatError that says what is wrong.
 */
export function decode(bytes: Uint8Array | ArrayBuffer, opts: DecodeOptions = {}): SafetensorsContents {
  return decodeAs('decode', bytes, opts.source);
}

/** decode() with the calling function's name in messages (for the file loaders). */
export function decodeAs(op: string, input: Uint8Array | ArrayBuffer, source?: string): SafetensorsContents {
  // A plain Uint8Array view (a Node Buffer's slice() would not copy).
  const bytes =
    input instanceof Uint8Array
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
  const where = source ? `${op}: ${source}:` : `${op}:`;
  const fail = (msg: string): never => {
    throw new FormatError(`${where} ${msg}`);
  };
  if (bytes.length < 8) {
    fail(
      `too short to be a safetensors file (${bytes.length} bytes; it starts with an 8-byte header length)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER || 8 + n > bytes.length) {
    fail(
      `header length ${n} is beyond the end of the file (${bytes.length} bytes): ` +
        'not a safetensors file, or a truncated one',
    );
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8: not a safetensors file');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message}): not a safetensors file`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('the header is not a JSON object');
  }
  const dataLength = bytes.length - 8 - n;
  let metadata: Record<string, string> | null = null;
  const infos: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, fail);
      continue;
    }
    infos.push({ name, ...parseInfo(name, raw, fail) });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous = '';
  for (const t of infos) {
    if (t.end > dataLength) {
      fail(
        `tensor '${t.name}' needs data bytes ${t.begin}–${t.end}, but the file holds only ${dataLength} ` +
          'bytes of data after the header: the file is truncated',
      );
    }
    if (t.begin < expected)
      fail(`tensors '${previous}' and '${t.name}' overlap (${t.name} starts at byte ${t.begin})`);
    if (t.begin > expected)
      fail(`data bytes ${expected}–${t.begin} belong to no tensor (before '${t.name}')`);
    expected = t.end;
    previous = t.name;
  }
  if (expected !== dataLength) {
    fail(`the file has ${dataLength - expected} bytes after the last tensor's data that belong to no tensor`);
  }
  const tensors: Record<string, Tensor> = {};
  const base = 8 + n;
  for (const t of infos) {
    const values = convert(op, source, t.name, t.dtype, bytes.subarray(base + t.begin, base + t.end));
    setOwn(tensors, t.name, fromTypedArray(values, t.shape));
  }
  return { tensors, metadata };
}

/** Plain assignment would let a name like '__proto__' in a hostile header replace the prototype. */
function setOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseMetadata(raw: unknown, fail: (msg: string) => never): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('"__metadata__" is not a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`"__metadata__" value '${k}' is not a string`);
    setOwn(out, k, v as string);
  }
  return out;
}

function parseInfo(
  name: string,
  raw: unknown,
  fail: (msg: string) => never,
): { dtype: SafetensorsDType; shape: number[]; begin: number; end: number } {
  const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof r !== 'object' || r === null) fail(`the entry of tensor '${name}' is not a JSON object`);
  const { dtype, shape, data_offsets: offsets } = r!;
  if (typeof dtype !== 'string' || !(SAFETENSORS_DTYPES as readonly string[]).includes(dtype)) {
    fail(
      `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  }
  const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)} (expected a list of sizes)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end])`);
  }
  const d = dtype as SafetensorsDType;
  const [begin, end] = offsets as number[];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== numel * ITEM_SIZE[d]) {
    fail(
      `tensor '${name}': shape ${fmtShape(shape as number[])} of ${d} needs ${numel * ITEM_SIZE[d]} bytes, ` +
        `but data_offsets [${begin},${end}] hold ${end - begin}`,
    );
  }
  return { dtype: d, shape: shape as number[], begin, end };
}

/** Reads little-endian elements into chainrule's dtypes (see decode for the mapping). */
function convert(
  op: string,
  source: string | undefined,
  name: string,
  dtype: SafetensorsDType,
  raw: Uint8Array,
): TypedArray {
  const copy = raw.slice(); // an aligned buffer of its own
  const view = new DataView(copy.buffer);
  const count = copy.length / ITEM_SIZE[dtype];
  const native = LITTLE_ENDIAN_HOST;
  const ints = (read: (i: number) => number): Int32Array =>
    Int32Array.from({ length: count }, (_, i) => read(i));
  switch (dtype) {
    case 'F32':
      return native
        ? new Float32Array(copy.buffer)
        : Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
    case 'F64':
      return native
        ? new Float64Array(copy.buffer)
        : Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
    case 'I32':
      return native ? new Int32Array(copy.buffer) : ints((i) => view.getInt32(4 * i, true));
    case 'BOOL':
      return copy.map((v) => (v ? 1 : 0));
    case 'U8':
      return Int32Array.from(copy);
    case 'I8':
      return ints((i) => view.getInt8(i));
    case 'I16':
      return ints((i) => view.getInt16(2 * i, true));
    case 'U16':
      return ints((i) => view.getUint16(2 * i, true));
    case 'F16':
      return Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'U32':
    case 'I64':
    case 'U64': {
      const size = ITEM_SIZE[dtype];
      return ints((i) => {
        const lo = view.getUint32(size * i, true);
        const hi = size === 8 ? view.getUint32(size * i + 4, true) : 0;
        // In int32 range: the high word is the sign extension of the low word (and unsigned stays < 2^31).
        const fits = dtype === 'I64' ? hi === (lo >= 2 ** 31 ? 0xffffffff : 0) : hi === 0 && lo < 2 ** 31;
        if (!fits) {
          const value =
            dtype === 'I64'
              ? view.getBigInt64(size * i, true)
              : size === 8
                ? view.getBigUint64(size * i, true)
                : lo;
          throw new DTypeError(
            `${op}: ${source ? `${source}: ` : ''}tensor '${name}' (${dtype}) holds ${value} at element ${i}, ` +
              'outside the int32 range that chainrule stores integers in',
          );
        }
        return lo | 0;
      });
    }
    default:
      throw new DTypeError(
        `${op}: ${source ? `${source}: ` : ''}tensor '${name}' has dtype ${dtype}, which chainrule cannot read ` +
          '(8-bit floats); convert it to F16, BF16 or F32 first',
      );
  }
}

/** IEEE 754 half precision bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
