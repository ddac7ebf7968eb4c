/**
 * The wire between the suite worker (which runs the shared tests and blocks on every kernel call)
 * and the device worker (which owns the WebGPU backend). A test calls kernels synchronously, and
 * reads synchronously too, while WebGPU answers reads only asynchronously: so the backend lives in
 * a worker of its own, and the suite worker waits on shared memory (Atomics.wait) for its answers.
 */

/** Int32 slots of the control block. */
export const CTL = {
  /** 0 while a request is pending, 1 once its answer is in the data block. */
  flag: 0,
  /** Bytes of the answer. */
  length: 1,
} as const;

export const CTL_BYTES = 16;

/** A storage argument on the wire: its id on the device worker. */
export interface StorageRef {
  __storage: number;
}

/** A storage in an answer: the id the device worker gave it, its dtype and size. */
export interface StorageDesc {
  id: number;
  dtype: string;
  size: number;
}

export type Request =
  | { t: 'init'; ctl: SharedArrayBuffer; data: SharedArrayBuffer }
  | { t: 'grow'; data: SharedArrayBuffer }
  | { t: 'call'; method: string; args: unknown[] }
  | { t: 'upload'; id: number; values: ArrayBufferView }
  | { t: 'read'; id: number }
  | { t: 'free'; ids: number[] }
  | { t: 'stats' };

/** A JSON answer (every request but 'read', whose answer is the raw bytes). */
export type Answer =
  { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; stack?: string } };

/** Whether a value is a storage reference. */
export function isRef(v: unknown): v is StorageRef {
  return typeof v === 'object' && v !== null && '__storage' in v;
}

/** Whether a value is a storage description. */
export function isDesc(v: unknown): v is StorageDesc {
  return typeof v === 'object' && v !== null && 'id' in v && 'dtype' in v && 'size' in v;
}
