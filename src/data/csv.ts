/** Numeric CSV text to rows and tensors (browser-safe; the Node loader reads files with it). */
import type { DType } from '../tensor/dtype.js';
import { IndexError } from '../tensor/errors.js';
import { fromTypedArray } from '../tensor/create.js';
import { typedArrayFor } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { FormatError } from '../io/errors.js';

export interface CsvOptions {
  /** Field separator (default ','). */
  delimiter?: string;
  /** The first non-empty line names the columns (default false). */
  header?: boolean;
  /** Named in error messages (a file path). */
  source?: string;
}

export interface CsvTable {
  /** Column names when `header` was set, else null. */
  header: string[] | null;
  /** One array of numbers per data line; every line has the same number of fields. */
  rows: number[][];
}

/** Splits one line into fields; a field in double quotes may hold the delimiter ("" is a quote). */
function splitLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      fields.push(cur);
      cur = '';
      i += delimiter.length - 1;
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

/** A number as numpy writes it: decimal, exponent, nan, inf (any case). Empty fields are errors. */
function toNumber(field: string): number {
  const f = field.trim();
  if (f === '') return NaN;
  const lower = f.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  // Number() also takes hex, binary and '' as 0; a CSV number is decimal only.
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(f) ? Number(f) : NaN;
}

function isNanText(field: string): boolean {
  return field.trim().toLowerCase() === 'nan';
}

/**
 * Parses numeric CSV: one row of numbers per non-empty line (blank lines are skipped, '\r\n' is
 * accepted). A field that is not a number, or a line with a different number of fields than the
 * first, throws a FormatError that names the line (1-based, counting every line of the text).
 */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvTable {
  return parseCsvAs('parseCsv', text, opts);
}

/** parseCsv with the calling function's name in messages (for the loaders built on it). */
export function parseCsvAs(op: string, text: string, opts: CsvOptions = {}): CsvTable {
  const delimiter = opts.delimiter ?? ',';
  if (delimiter === '' || delimiter.includes('"') || /[\r\n]/.test(delimiter)) {
    throw new IndexError(`${op}: invalid delimiter ${JSON.stringify(delimiter)}`);
  }
  const where = opts.source ? `${op}: ${opts.source}:` : `${op}:`;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | null = null;
  let width = -1;
  let widthLine = 0;
  const rows: number[][] = [];
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (line.trim() === '') continue;
    const fields = splitLine(line, delimiter);
    if (opts.header && header === null) {
      header = fields.map((f) => f.trim());
      width = fields.length;
      widthLine = li + 1;
      continue;
    }
    if (width < 0) {
      width = fields.length;
      widthLine = li + 1;
    } else if (fields.length !== width) {
      throw new FormatError(
        `${where} line ${li + 1} has ${fields.length} fields, expected ${width} as on line ${widthLine}`,
      );
    }
    const row = new Array<number>(width);
    for (let k = 0; k < width; k++) {
      const v = toNumber(fields[k]);
      if (Number.isNaN(v) && !isNanText(fields[k])) {
        const shown = fields[k].length > 40 ? `${fields[k].slice(0, 40)}…` : fields[k];
        throw new FormatError(
          `${where} line ${li + 1}, field ${k + 1}: ${JSON.stringify(shown)} is not a number`,
        );
      }
      row[k] = v;
    }
    rows.push(row);
  }
  return { header, rows };
}

export interface CsvTensorOptions {
  /** The column that holds the target (negative counts from the end); the others are the features. */
  labelColumn?: number;
  /** dtype of x (default float32). */
  dtype?: DType;
  /** dtype of y (default int32: class indices; an int32 label must be a whole number). */
  labelDtype?: DType;
}

/** Turns parsed rows into tensors: x [rows, features] and, with labelColumn, y [rows]. */
export function csvToTensors(
  table: CsvTable,
  opts: CsvTensorOptions & { source?: string } = {},
  op = 'csvToTensors',
): { x: Tensor; y: Tensor | null } {
  const where = opts.source ? `${op}: ${opts.source}:` : `${op}:`;
  const rows = table.rows;
  const width = rows.length > 0 ? rows[0].length : (table.header?.length ?? 0);
  let label = -1;
  if (opts.labelColumn !== undefined) {
    const c = opts.labelColumn < 0 ? opts.labelColumn + width : opts.labelColumn;
    if (!Number.isInteger(opts.labelColumn) || c < 0 || c >= width) {
      throw new IndexError(`${where} labelColumn ${opts.labelColumn} is out of range for ${width} columns`);
    }
    label = c;
  }
  const features = label < 0 ? width : width - 1;
  const x = typedArrayFor(opts.dtype ?? 'float32', rows.length * features);
  const labelDtype = opts.labelDtype ?? 'int32';
  const y = label < 0 ? null : typedArrayFor(labelDtype, rows.length);
  rows.forEach((row, i) => {
    let at = i * features;
    for (let k = 0; k < width; k++) {
      if (k !== label) x[at++] = row[k];
    }
    if (y) {
      const v = row[label];
      if (labelDtype === 'int32' && !Number.isInteger(v)) {
        throw new FormatError(
          `${where} data row ${i + 1}: label ${v} is not a whole number (labelDtype int32)`,
        );
      }
      y[i] = v;
    }
  });
  return {
    x: fromTypedArray(x, [rows.length, features]),
    y: y ? fromTypedArray(y, [rows.length]) : null,
  };
}
