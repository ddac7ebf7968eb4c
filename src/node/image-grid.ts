/** Batches of images laid out in one picture, with captions and borders (torchvision's make_grid, annotated). */
import { DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Color, RgbaImage } from '../vision/raster.js';
import { BLACK, Canvas, RED, WHITE, textSize } from '../vision/raster.js';

export interface ImageGridOptions {
  /** Images per row (default 8, as torchvision's make_grid). */
  nrow?: number;
  /** Pixels between images and around the grid (default 2). */
  padding?: number;
  /** Integer magnification of each image (default 1). */
  scale?: number;
  /** Pixel values mapped to black and white (default [0, 1]; values outside are clipped). */
  range?: readonly [number, number];
  /** Maps the batch's own minimum and maximum to black and white (overrides range). */
  normalize?: boolean;
  /** A caption under each image ('\n' starts a second line), e.g. "pred / true". */
  captions?: readonly string[];
  /** A border per image: true for red, a colour, or false/null for none (e.g. misclassified ones). */
  marks?: readonly (boolean | Color | null | undefined)[];
  title?: string;
  background?: Color;
  /** Magnification of captions (default 1). */
  fontScale?: number;
}

/** Images [N, H, W] or [N, C, H, W] (C = 1 or 3) laid out in a grid, with optional captions and borders. */
export function imageGrid(images: Tensor, opts: ImageGridOptions = {}): RgbaImage {
  const op = 'imageGrid';
  const shape = images.shape;
  if (!(shape.length === 3 || (shape.length === 4 && (shape[1] === 1 || shape[1] === 3)))) {
    throw new ShapeError(
      `${op}: expected images [N, H, W] or [N, C, H, W] with C = 1 or 3, got ${fmtShape(shape)}`,
    );
  }
  if (images.dtype === 'bool') throw new DTypeError(`${op}: expected numeric images, got dtype bool`);
  const [n, ch, h, w] = shape.length === 3 ? [shape[0], 1, shape[1], shape[2]] : shape;
  if (n === 0 || h === 0 || w === 0)
    throw new ShapeError(`${op}: no pixels to draw in images ${fmtShape(shape)}`);
  const nrow = positiveInt(op, 'nrow', opts.nrow ?? 8);
  const scale = positiveInt(op, 'scale', opts.scale ?? 1);
  const pad = opts.padding ?? 2;
  if (!Number.isInteger(pad) || pad < 0)
    throw new IndexError(`${op}: padding must be an integer >= 0, got ${pad}`);
  for (const [name, list] of [
    ['captions', opts.captions],
    ['marks', opts.marks],
  ] as const) {
    if (list && list.length !== n) throw new ShapeError(`${op}: got ${list.length} ${name} for ${n} images`);
  }
  const fs = positiveInt(op, 'fontScale', opts.fontScale ?? 1);
  const v = images.dataSync();
  let [lo, hi] = opts.range ?? [0, 1];
  if (opts.normalize) {
    lo = Infinity;
    hi = -Infinity;
    for (const x of v) {
      if (Number(x) < lo) lo = Number(x);
      if (Number(x) > hi) hi = Number(x);
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const caps = opts.captions ?? [];
  const capSize = caps.map((c) => textSize(c, fs));
  const capH = caps.length ? Math.max(...capSize.map((s) => s.height)) + 4 : 0;
  const cellW = Math.max(w * scale, ...capSize.map((s) => s.width));
  const cellH = h * scale + capH;
  const cols = Math.min(nrow, n);
  const rows = Math.ceil(n / cols);
  const titleH = opts.title ? textSize(opts.title, 2 * fs).height + 8 : 0;
  const gap = Math.max(pad, caps.length ? 4 : 0);
  const gridW = cols * cellW + (cols - 1) * gap + 2 * pad;
  // A title wider than the grid widens the picture; the grid is then centred under it.
  const width = Math.max(gridW, opts.title ? textSize(opts.title, 2 * fs).width + 8 : 0);
  const offX = Math.floor((width - gridW) / 2);
  const c = new Canvas(width, titleH + rows * cellH + (rows - 1) * gap + 2 * pad, opts.background ?? WHITE);
  if (opts.title) c.text(opts.title, c.width / 2, pad + 4, BLACK, { scale: 2 * fs, align: 'center' });
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const x0 = offX + pad + (i % cols) * (cellW + gap) + Math.floor((cellW - w * scale) / 2);
    const y0 = titleH + pad + Math.floor(i / cols) * (cellH + gap);
    const base = i * ch * plane;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = base + y * w + x;
        const byte = (j: number): number => toByte((Number(v[k + j * plane]) - lo) / span);
        const g = byte(0);
        const color: Color = ch === 3 ? [g, byte(1), byte(2)] : [g, g, g];
        c.fillRect(x0 + x * scale, y0 + y * scale, scale, scale, color);
      }
    }
    const mark = opts.marks?.[i];
    const markColor = mark === true ? RED : mark ? mark : null;
    if (markColor) {
      const t = Math.min(3, Math.max(1, pad));
      c.strokeRect(x0 - t, y0 - t, w * scale + 2 * t, h * scale + 2 * t, markColor, t);
    }
    if (caps[i]) {
      const cx = offX + pad + (i % cols) * (cellW + gap) + cellW / 2;
      c.text(caps[i], cx, y0 + h * scale + 3, markColor ?? BLACK, { scale: fs, align: 'center' });
    }
  }
  return c.toImage();
}

/** A positive integer option, or an IndexError naming the op and the option. */
export function positiveInt(op: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new IndexError(`${op}: ${name} must be a positive integer, got ${v}`);
  return v;
}

function toByte(t: number): number {
  return Number.isFinite(t) ? Math.round(255 * Math.min(1, Math.max(0, t))) : 0;
}
