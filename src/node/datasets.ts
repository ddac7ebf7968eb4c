/** Node-only data loaders: the built-in digits, Fashion-MNIST from gzipped IDX files, CSV files. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndexError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { FormatError, MissingFileError } from '../io/errors.js';
import type { CsvOptions, CsvTensorOptions } from '../data/csv.js';
import { csvToTensors, parseCsvAs } from '../data/csv.js';
import type { DigitsData } from '../data/digits.js';
import { parseDigits } from '../data/digits.js';
import type { MnistData } from '../data/idx.js';
import { mnistFromIdx } from '../data/idx.js';
import { gunzipIfNeeded, readFileBytes } from './files.js';

/** Where Debian's package dataset-fashion-mnist installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const DIGITS_COUNT = 1797;

/** The built-in digits file, from the compiled module (build/src/node) or the source (src/node). */
export function builtinDigitsPath(): string {
  const candidates = ['../../../data/digits.csv.gz', '../../data/digits.csv.gz'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/**
 * The 8×8 handwritten digits shipped with chainrule (1,797 images, UCI, CC BY 4.0): images float32
 * [1797, 64] with pixels 0–16 scaled to [0, 1] (or [1797, 1, 8, 8] with flat: false), labels int32
 * [1797]. `path` reads another file of the same format (gzipped or plain CSV).
 */
export function loadDigits(opts: { path?: string; flat?: boolean } = {}): DigitsData {
  const op = 'loadDigits';
  const path = opts.path ?? builtinDigitsPath();
  const what = 'the digits CSV: 65 integer columns (64 pixels 0–16, then the label), optionally gzipped';
  const bytes = gunzipIfNeeded(op, path, readFileBytes(op, path, what), what);
  const text = decodeText(op, path, bytes);
  const data = parseDigits(text, { source: path, flat: opts.flat, op });
  if (opts.path === undefined && data.labels.shape[0] !== DIGITS_COUNT) {
    throw new FormatError(`${op}: ${path}: holds ${data.labels.shape[0]} images, expected ${DIGITS_COUNT}`);
  }
  return data;
}

function decodeText(op: string, path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`${op}: ${path} is not UTF-8 text (expected CSV)`);
  }
}

export interface LoadCsvOptions extends CsvOptions, CsvTensorOptions {}

/**
 * Reads a numeric CSV file (gzipped or plain): x holds the feature columns as float32 (or `dtype`);
 * with labelColumn, y holds that column (int32 class indices unless labelDtype says otherwise).
 */
export function loadCsv(
  path: string,
  opts: Omit<LoadCsvOptions, 'source'> = {},
): { x: Tensor; y: Tensor | null; header: string[] | null } {
  const op = 'loadCsv';
  const what = 'a CSV file of numbers';
  const bytes = gunzipIfNeeded(op, path, readFileBytes(op, path, what), what);
  const table = parseCsvAs(op, decodeText(op, path, bytes), { ...opts, source: path });
  const { x, y } = csvToTensors(table, { ...opts, source: path }, op);
  return { x, y, header: table.header };
}

export interface FashionMnistOptions {
  /** 'train' (60,000 images) or 'test' (10,000). */
  split?: 'train' | 'test';
  /** Keep only the first `limit` samples. */
  limit?: number;
  /** Images as [N, 784] instead of [N, 1, 28, 28] (default false). */
  flat?: boolean;
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** The file of a split in dir: NAME.gz, or NAME uncompressed when only that is there. */
function findFile(op: string, dir: string, name: string, what: string): string {
  const gz = join(dir, `${name}.gz`);
  if (existsSync(gz)) return gz;
  const plain = join(dir, name);
  if (existsSync(plain)) return plain;
  throw new MissingFileError(`${op}: ${gz} does not exist (expected ${what} as gzipped IDX)`, gz);
}

/**
 * Fashion-MNIST (or MNIST, same files) from its gzipped IDX files in `dir`: images float32
 * [N, 1, 28, 28] (or [N, 784] with flat) scaled to [0, 1], labels int32 [N]. A missing folder or
 * file, a wrong magic number, truncated data or a count mismatch throws an error naming the path.
 */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR, opts: FashionMnistOptions = {}): MnistData {
  const op = 'loadFashionMnist';
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new IndexError(`${op}: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const [imagesName, labelsName] = FILES[split];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MissingFileError(
      `${op}: folder ${dir} does not exist (expected the Fashion-MNIST files ${imagesName}.gz, ` +
        `${labelsName}.gz, ...; Debian's package dataset-fashion-mnist installs them in ${FASHION_MNIST_DIR})`,
      dir,
    );
  }
  const read = (name: string, what: string): { path: string; bytes: Uint8Array } => {
    const path = findFile(op, dir, name, what);
    return { path, bytes: gunzipIfNeeded(op, path, readFileBytes(op, path, what), `${what} as gzipped IDX`) };
  };
  const images = read(imagesName, `the Fashion-MNIST ${split} images`);
  const labels = read(labelsName, `the Fashion-MNIST ${split} labels`);
  return mnistFromIdx(images.bytes, labels.bytes, {
    op,
    limit: opts.limit,
    flat: opts.flat,
    imagesSource: images.path,
    labelsSource: labels.path,
  });
}
