/** PNG files for RGBA images (plots, image grids, samples): written atomically, read back for checks. */
import { PNG } from 'pngjs';
import { FormatError } from '../io/errors.js';
import { ShapeError } from '../tensor/errors.js';
import type { RgbaImage } from '../vision/raster.js';
import { readFileBytes, writeFileAtomic } from './files.js';

/** Encodes an 8-bit RGBA image as PNG bytes. */
export function encodePng(image: RgbaImage): Uint8Array {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ShapeError(`writePng: width and height must be positive integers, got ${width}×${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 4) {
    throw new ShapeError(
      `writePng: a ${width}×${height} RGBA image needs ${width * height * 4} bytes, got ${data?.length ?? 'none'}`,
    );
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out = PNG.sync.write(png, { colorType: 6 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Saves an image as a PNG file; readers never see a half-written file. */
export function writePng(path: string, image: RgbaImage): void {
  writeFileAtomic(path, encodePng(image));
}

/** Reads a PNG file as an 8-bit RGBA image (any colour type is converted). */
export function readPng(path: string): RgbaImage {
  const bytes = readFileBytes('readPng', path, 'a PNG image');
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new FormatError(`readPng: ${path} is not a valid PNG image (${(e as Error).message})`);
  }
  const d = png.data;
  return { width: png.width, height: png.height, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}
