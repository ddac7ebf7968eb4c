import type { DType, TypedArray } from '../../tensor/dtype.js';
import type { Backend, Storage } from '../backend.js';

/** The reference backend's storage: a plain typed array on the host. */
export class JsStorage implements Storage {
  version = 0;
  constructor(
    readonly backend: Backend,
    readonly values: TypedArray,
    readonly dtype: DType,
  ) {}
  get size(): number {
    return this.values.length;
  }
}

export function vals(s: Storage): TypedArray {
  return (s as JsStorage).values;
}
