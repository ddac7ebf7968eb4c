/** Base class of every error the library throws on bad input; the message names the op involved. */
export class ChainruleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, cat, ...). */
export class ShapeError extends ChainruleError {}

/** A dtype an op cannot take, or a mix of dtypes it does not allow. */
export class DTypeError extends ChainruleError {}

/** A dim or index outside its range, or a bad argument value. */
export class IndexError extends ChainruleError {}

/** Misuse of autodiff: backward on a non-scalar, a freed graph, a tensor modified in place. */
export class AutogradError extends ChainruleError {}

/** A backend that cannot do what was asked (for example synchronous reads on a GPU). */
export class BackendError extends ChainruleError {}

/** Raised by anomaly mode when an op produces NaN or Inf. */
export class AnomalyError extends ChainruleError {}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
