import { AutogradError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';
import { recordMulti } from './record.js';

/** What forward can keep for backward (PyTorch's ctx). */
export class FunctionCtx {
  private saved: Tensor[] = [];
  /** For each input: whether backward has to produce its gradient. */
  needsInputGrad: boolean[] = [];
  /** Free-form values forward wants to pass to backward. */
  readonly state: Record<string, unknown> = {};

  saveForBackward(...tensors: Tensor[]): void {
    this.saved = tensors;
  }

  get savedTensors(): Tensor[] {
    return this.saved;
  }
}

export interface FunctionDef<A extends unknown[], R extends Tensor | Tensor[]> {
  name?: string;
  /** Runs without recording; returns the output tensor(s). */
  forward(ctx: FunctionCtx, ...args: A): R;
  /**
   * Receives one gradient per output, returns one gradient (or null) per forward argument. Write it
   * with tensor ops: then gradients of gradients work through it too.
   */
  backward(ctx: FunctionCtx, ...grads: Tensor[]): Tensor | null | readonly (Tensor | null | undefined)[];
}

/**
 * A user-defined differentiable function with its own backward, like torch.autograd.Function:
 * `const Exp = customFunction({ forward(ctx, x) {...}, backward(ctx, g) {...} }); Exp.apply(x)`.
 */
export function customFunction<A extends unknown[], R extends Tensor | Tensor[]>(
  def: FunctionDef<A, R>,
): { apply(...args: A): R } {
  const name = def.name ?? 'customFunction';
  return {
    apply(...args: A): R {
      const ctx = new FunctionCtx();
      ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad);
      const result = noGrad(() => def.forward(ctx, ...args));
      const outs = Array.isArray(result) ? [...result] : [result as Tensor];
      // Outputs that alias an input get their own tensor object, so the input's history is untouched.
      const fresh = outs.map((o) => (args.includes(o) ? new Tensor(o.storage, o.shape) : o));
      const tensorArgs = args.map((a, i) => [a, i] as const).filter(([a]) => a instanceof Tensor);
      const inputs = tensorArgs.map(([a]) => a as Tensor);
      recordMulti(
        name,
        inputs,
        fresh,
        (grads) => {
          const r = def.backward(ctx, ...grads);
          const list = Array.isArray(r) ? r : [r as Tensor | null];
          if (list.length !== args.length) {
            throw new AutogradError(
              `${name}: backward returned ${list.length} gradients, but forward took ${args.length} arguments`,
            );
          }
          return tensorArgs.map(([, i]) => list[i] ?? null);
        },
        ctx.savedTensors,
      );
      return (Array.isArray(result) ? fresh : fresh[0]) as R;
    },
  };
}
