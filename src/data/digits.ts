/** The 8×8 handwritten digits as CSV text (browser-safe; loadDigits in chainrule/node reads the built-in file). */
import { fromTypedArray } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { FormatError } from '../io/errors.js';
import { parseCsvAs } from './csv.js';

export interface DigitsData {
  /** float32 [N, 64] (or [N, 1, 8, 8] when not flat), pixels 0–16 scaled to [0, 1]. */
  images: Tensor;
  /** int32 [N], the digit 0–9. */
  labels: Tensor;
}

/**
 * Parses the digits CSV: no header, 65 integer columns per line, 64 pixels valued 0–16 then the
 * label 0–9. A line that breaks this throws a FormatError naming it.
 */
export function parseDigits(
  text: string,
  opts: { source?: string; flat?: boolean; op?: string } = {},
): DigitsData {
  const op = opts.op ?? 'parseDigits';
  const where = `${op}: ${opts.source ?? 'digits CSV'}:`;
  const { rows } = parseCsvAs(op, text, { source: opts.source ?? 'digits CSV' });
  if (rows.length === 0) throw new FormatError(`${where} no data (expected lines of 64 pixels and a label)`);
  if (rows[0].length !== 65) {
    throw new FormatError(
      `${where} lines have ${rows[0].length} fields, expected 65 (64 pixels, then the label)`,
    );
  }
  const n = rows.length;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  // Lines are 1-based and blank lines are skipped by parseCsv; report the data row.
  rows.forEach((row, i) => {
    for (let k = 0; k < 64; k++) {
      const v = row[k];
      if (!Number.isInteger(v) || v < 0 || v > 16) {
        throw new FormatError(`${where} row ${i + 1}, pixel ${k + 1}: ${v} is not an integer from 0 to 16`);
      }
      x[i * 64 + k] = v / 16;
    }
    const label = row[64];
    if (!Number.isInteger(label) || label < 0 || label > 9) {
      throw new FormatError(`${where} row ${i + 1}: label ${label} is not a digit 0 to 9`);
    }
    y[i] = label;
  });
  return {
    images: fromTypedArray(x, opts.flat === false ? [n, 1, 8, 8] : [n, 64]),
    labels: fromTypedArray(y, [n]),
  };
}
