import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../tensor/create.js';
import { isFloating } from '../tensor/dtype.js';
import { AutogradError, DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { shapesEqual } from '../tensor/shape.js';
import type { NestedArray } from '../tensor/tensor.js';
import { zeroGrads } from '../autograd/zero-grad.js';
import { fullLike } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';

/** Per-parameter optimizer state under PyTorch's names (`step`, `exp_avg`, `momentum_buffer`, ...). */
export type ParamState = Record<string, Tensor | number>;

/** Options every optimizer has. */
export interface OptimizerOptions {
  lr: number;
}

/** Entries that learning-rate schedulers add to a group (PyTorch's initial_lr, max_lr, ...). */
export interface SchedulerFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/** A parameter group: its tensors and its own copy of every option (lr is mutable). */
export type ParamGroup<O> = O & SchedulerFields & { params: Tensor[] };

/** A group as given to the constructor: tensors plus the options that differ from the defaults. */
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<Tensor> | Tensor };

/** What an optimizer takes: tensors (one group), or parameter groups with their own options. */
export type Params<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/**
 * An optimizer's state as plain data: `state` maps a parameter's position (counted through the
 * groups in order) to its state, `paramGroups` holds each group's options with the positions of
 * its parameters, as PyTorch's state_dict() does. Tensors are the only non-JSON values.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, Tensor | number | NestedArray>>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** A tensor of p's shape, dtype and backend filled with one value. */
/** A tensor of p's shape, dtype and backend filled with value. */
export const filledLike = (p: Tensor, value: number): Tensor => fullLike(p, value);

function copyOption(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v;
}

/**
 * Base class of the optimizers, as PyTorch's torch.optim.Optimizer: parameter groups with their own
 * options, step() (which skips parameters without a gradient), zeroGrad(), stateDict() and
 * loadStateDict(). Updates run under noGrad and change the parameters in place, so their version
 * counters go up and a graph that saved them refuses a stale backward.
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  state = new Map<Tensor, ParamState>();

  constructor(params: Params<O>, defaults: O) {
    this.defaults = defaults;
    this.validate(defaults as Partial<O>);
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new IndexError(`${this.constructor.name}: got an empty parameter list`);
    const groups = list.every((p) => p instanceof Tensor) ? [{ params: list as Tensor[] }] : list;
    for (const g of groups) this.addParamGroup(g as ParamGroupInput<O>);
  }

  /** Checks option values (PyTorch's constructor checks); throws IndexError naming the option. */
  protected abstract validate(opts: Partial<O>): void;

  /** Updates one parameter from its gradient; runs under noGrad. */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** Adds a group of parameters, e.g. layers unfrozen during fine-tuning; missing options take the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.constructor.name;
    if (typeof group !== 'object' || group === null || !('params' in group)) {
      throw new DTypeError(`${name}: a parameter group must be an object with a 'params' entry`);
    }
    const raw = group.params instanceof Tensor ? [group.params] : [...group.params];
    raw.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new DTypeError(`${name}: can only optimize tensors, but parameter ${i} is ${typeof p}`);
      }
      if (!p.isLeaf) throw new AutogradError(`${name}: cannot optimize a non-leaf tensor (parameter ${i})`);
      if (!isFloating(p.dtype)) {
        throw new DTypeError(
          `${name}: can only optimize floating-point tensors, parameter ${i} has dtype ${p.dtype}`,
        );
      }
    });
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (raw.some((p) => seen.has(p))) {
      throw new IndexError(`${name}: some parameters appear in more than one parameter group`);
    }
    const full: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(group)) if (k !== 'params') full[k] = copyOption(v);
    for (const [k, v] of Object.entries(this.defaults)) if (full[k] === undefined) full[k] = copyOption(v);
    if (typeof full.lr !== 'number') {
      throw new IndexError(`${name}: lr is required (e.g. new ${name}(params, { lr: 0.01 }))`);
    }
    this.validate(full as Partial<O>);
    full.params = raw;
    this.paramGroups.push(full as unknown as ParamGroup<O>);
  }

  /** Clears the gradients: to null by default (PyTorch 2's setToNone), else to zeros in place. */
  zeroGrad(setToNone = true): void {
    zeroGrads(
      this.paramGroups.flatMap((g) => g.params),
      setToNone,
    );
  }

  /**
   * Performs one update of every parameter that has a gradient. A closure, if given, is run first
   * with gradients enabled (to re-evaluate the loss) and its result returned.
   */
  step<T>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          if (!p.grad) continue;
          let st = this.state.get(p);
          if (!st) this.state.set(p, (st = {}));
          this.update(p, p.grad, st, g);
        }
      }
    });
    return loss;
  }

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> & { params: number[] } = { params: [] };
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[k] = copyOption(v);
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return packed;
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[String(i)] = { ...st };
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state saved by stateDict() into an optimizer over parameters of the same groups and
   * shapes. Tensors are copied and cast to their parameter's dtype; nested arrays are accepted too.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const saved = sd?.paramGroups;
    if (!Array.isArray(saved) || typeof sd.state !== 'object' || sd.state === null) {
      throw new DTypeError(`${name}: expected an object with 'state' and 'paramGroups' entries`);
    }
    if (saved.length !== this.paramGroups.length) {
      throw new ShapeError(
        `${name}: the state dict has ${saved.length} parameter groups, the optimizer ${this.paramGroups.length}`,
      );
    }
    saved.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new ShapeError(
          `${name}: parameter group ${i} has ${g.params.length} parameters in the state dict, ` +
            `${this.paramGroups[i].params.length} in the optimizer`,
        );
      }
    });
    const idMap = new Map<number, Tensor>();
    saved.forEach((g, i) =>
      g.params.forEach((id, j) => idMap.set(Number(id), this.paramGroups[i].params[j])),
    );
    const state = new Map<Tensor, ParamState>();
    for (const [k, entry] of Object.entries(sd.state)) {
      const p = idMap.get(Number(k));
      if (!p) throw new IndexError(`${name}: state for parameter ${k}, which is in no parameter group`);
      const st: ParamState = {};
      for (const [key, v] of Object.entries(entry)) st[key] = this.loadValue(name, p, k, key, v);
      state.set(p, st);
    }
    this.state = state;
    this.paramGroups = saved.map((g, i) => {
      const group: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') group[k] = copyOption(v);
      group.params = this.paramGroups[i].params;
      return group as unknown as ParamGroup<O>;
    });
  }

  private loadValue(name: string, p: Tensor, k: string, key: string, v: unknown): Tensor | number {
    if (typeof v === 'number') return v;
    let t: Tensor;
    if (v instanceof Tensor) t = noGrad(() => v.detach().to(p.dtype).clone());
    else if (Array.isArray(v)) t = tensor(v as NestedArray, { dtype: p.dtype });
    else throw new DTypeError(`${name}: state '${key}' of parameter ${k} must be a tensor or a number`);
    if (!shapesEqual(t.shape, p.shape)) {
      if (t.numel() !== p.numel()) {
        throw new ShapeError(
          `${name}: state '${key}' of parameter ${k} has shape ${fmtShape(t.shape)}, ` +
            `but the parameter has shape ${fmtShape(p.shape)}`,
        );
      }
      t = t.reshape(p.shape);
    }
    return t;
  }
}
