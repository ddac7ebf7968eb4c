import type { Node } from '../autograd/node.js';
import type { Storage } from '../backend/backend.js';
import type { DType, TypedArray } from './dtype.js';
import { isFloating } from './dtype.js';
import { AutogradError, BackendError, IndexError, ShapeError, fmtShape } from './errors.js';
import { formatTensor } from './format.js';
import type { Shape } from './shape.js';
import { sizeOf, stridesOf } from './shape.js';

export type NestedArray = number | boolean | NestedArray[];

let nextId = 1;

/**
 * An n-dimensional array of one dtype, row-major, whose elements live in a backend's storage, and a
 * vertex of the autodiff graph. Ops are attached to the prototype by the files under src/ops.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly id = nextId++;
  /** Accumulated gradient of a leaf after backward(). */
  grad: Tensor | null = null;
  /** The operation that made this tensor (null for leaves). */
  gradFn: Node | null = null;
  /** Which output of gradFn this tensor is. */
  outputIndex = 0;
  private _requiresGrad = false;

  constructor(
    public storage: Storage,
    shape: Shape,
  ) {
    this.shape = Object.freeze([...shape]);
    if (sizeOf(shape) !== storage.size) {
      throw new ShapeError(`Tensor: shape ${fmtShape(shape)} does not hold ${storage.size} elements`);
    }
  }

  /** Follows the storage, so that converting a module's parameters in place keeps their identity. */
  get dtype(): DType {
    return this.storage.dtype;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(on: boolean) {
    if (on && !isFloating(this.dtype)) {
      throw new AutogradError(
        `requiresGrad: only floating-point tensors can require gradients (got dtype ${this.dtype})`,
      );
    }
    if (!on && this.gradFn) {
      throw new AutogradError(
        'requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach() to get one that has none',
      );
    }
    this._requiresGrad = on;
  }

  /** Sets requiresGrad and returns this (PyTorch's requires_grad_()). */
  requiresGrad_(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get ndim(): number {
    return this.shape.length;
  }

  numel(): number {
    return this.storage.size;
  }

  /** The size of one dim, or the whole shape (PyTorch's size()). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return [...this.shape];
    const nd = this.ndim;
    if (!Number.isInteger(dim) || dim < -nd || dim >= nd) {
      throw new IndexError(`size: dim ${dim} is out of range for a tensor of shape ${fmtShape(this.shape)}`);
    }
    return this.shape[dim < 0 ? dim + nd : dim];
  }

  /** Row-major strides of the (always contiguous) layout. */
  stride(): number[] {
    return stridesOf(this.shape);
  }

  get backendName(): string {
    return this.storage.backend.name;
  }

  /** The number of in-place modifications of this tensor's storage. */
  get version(): number {
    return this.storage.version;
  }

  /** A copy of the elements as a typed array; device backends may refuse (use `await data()`). */
  dataSync(): TypedArray {
    const b = this.storage.backend;
    if (!b.canReadSync) {
      throw new BackendError(
        `dataSync: the '${b.name}' backend cannot read synchronously; use 'await tensor.data()' instead`,
      );
    }
    return b.readSync(this.storage).slice();
  }

  /** A copy of the elements as a typed array, read asynchronously (works on every backend). */
  async data(): Promise<TypedArray> {
    return (await this.storage.backend.read(this.storage)).slice();
  }

  /** The value of a one-element tensor as a number (bool as 0/1 is returned as boolean). */
  item(): number | boolean {
    return this.itemOf(this.dataSync(), 'item');
  }

  async itemAsync(): Promise<number | boolean> {
    return this.itemOf(await this.data(), 'itemAsync');
  }

  private itemOf(values: TypedArray, op: string): number | boolean {
    if (values.length !== 1) {
      throw new ShapeError(
        `${op}: only a tensor with one element can be converted to a number (shape ${fmtShape(this.shape)})`,
      );
    }
    return this.dtype === 'bool' ? values[0] !== 0 : values[0];
  }

  /** The elements as nested arrays (numbers, or booleans for bool tensors). */
  toArray(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype === 'bool');
  }

  async toArrayAsync(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype === 'bool');
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function nest(values: TypedArray, shape: Shape, asBool: boolean): NestedArray {
  const conv = (v: number): number | boolean => (asBool ? v !== 0 : v);
  if (shape.length === 0) return conv(values[0]);
  const build = (dim: number, offset: number): NestedArray[] => {
    const n = shape[dim];
    const step = sizeOf(shape.slice(dim + 1));
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? conv(values[offset + i]) : build(dim + 1, offset + i * step);
    }
    return out;
  };
  return build(0, 0);
}
