/** Node-only file helpers: atomic writes, reads with clear errors, safetensors files. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ChainruleError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { FormatError, MissingFileError } from '../io/errors.js';
import type { SafetensorsContents } from '../io/safetensors.js';
import { decodeAs, encode } from '../io/safetensors.js';

let tempCounter = 0;

function wrap(op: string, message: string, cause: unknown): ChainruleError {
  const err = new ChainruleError(`${op}: ${message}: ${(cause as Error)?.message ?? String(cause)}`);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

/**
 * Writes a file so that readers see either the old or the new contents, never a partial one: the
 * data goes to a temporary file in the same directory (same file system, so rename is atomic), is
 * flushed to disk (fsync), then renamed over the target; the directory is synced too where the
 * platform allows. On failure the temporary file is removed and the target is left as it was.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone (or never created).
    }
    throw wrap('writeFileAtomic', `cannot write ${path}`, e);
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directories cannot be opened or synced on some platforms (Windows); the rename is done.
  }
}

/** Reads a whole file; a missing one throws a MissingFileError naming the path and what was expected. */
export function readFileBytes(op: string, path: string, what: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new MissingFileError(`${op}: ${path} does not exist (expected ${what})`, path);
    if (code === 'EISDIR') throw new FormatError(`${op}: ${path} is a folder (expected ${what})`);
    throw wrap(op, `cannot read ${path} (expected ${what})`, e);
  }
}

/** Bytes that start with the gzip signature are decompressed; a damaged stream names the path. */
export function gunzipIfNeeded(op: string, path: string, bytes: Uint8Array, what: string): Uint8Array {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped) {
    if (path.endsWith('.gz')) throw new FormatError(`${op}: ${path} is not gzip data (expected ${what})`);
    return bytes;
  }
  try {
    const b = gunzipSync(bytes);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new FormatError(`${op}: ${path} is damaged gzip data (${(e as Error).message}); expected ${what}`);
  }
}

/** Writes tensors (and string metadata) as a safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string> | null,
): void {
  writeFileAtomic(path, encode(tensors, metadata));
}

/** Reads a safetensors file; a truncated or foreign file throws a FormatError naming the path. */
export function loadSafetensors(path: string): SafetensorsContents {
  return decodeAs('loadSafetensors', readFileBytes('loadSafetensors', path, 'a safetensors file'), path);
}
