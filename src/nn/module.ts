import { noGrad } from '../autograd/grad-mode.js';
import { zeroGrads } from '../autograd/zero-grad.js';
import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { ChainruleError, ShapeError, fmtShape } from '../tensor/errors.js';
import { shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Parameter } from './parameter.js';

/** Thrown by loadStateDict for missing, unexpected or wrongly shaped entries. */
export class StateDictError extends ChainruleError {}

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base class of every layer and model, like PyTorch's nn.Module. Parameters and submodules are
 * registered by assigning them to properties (`this.fc = new Linear(2, 3)`), in assignment order, or
 * explicitly with registerParameter/registerModule; buffers (running statistics) with registerBuffer,
 * under PyTorch's names, so that state dicts map one to one.
 */
export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics). */
  training = true;
  private readonly _buffers = new Map<string, { tensor: Tensor | null; persistent: boolean }>();

  abstract forward(...inputs: any[]): any;

  // ---- registration -------------------------------------------------------------------------

  registerParameter(name: string, param: Parameter | null): void {
    (this as any)[name] = param;
  }

  registerModule(name: string, module: Module | null): void {
    (this as any)[name] = module;
  }

  /** Registers a tensor that is state but not trained (e.g. running_mean); persistent ones are saved. */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    if (name.includes('.'))
      throw new ChainruleError(`registerBuffer: buffer name '${name}' cannot contain '.'`);
    this._buffers.set(name, { tensor, persistent });
  }

  getBuffer(name: string): Tensor | null {
    const b = this._buffers.get(name);
    if (!b) throw new ChainruleError(`getBuffer: ${this.constructor.name} has no buffer '${name}'`);
    return b.tensor;
  }

  setBuffer(name: string, tensor: Tensor | null): void {
    const b = this._buffers.get(name);
    if (!b) throw new ChainruleError(`setBuffer: ${this.constructor.name} has no buffer '${name}'`);
    b.tensor = tensor;
  }

  /** Own parameters, in assignment order. */
  protected ownParameters(): [string, Parameter][] {
    return Object.entries(this).filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
  }

  // ---- traversal ----------------------------------------------------------------------------

  namedChildren(): [string, Module][] {
    return Object.entries(this).filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all below it, pre-order, each once, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [n, c] of m.namedChildren()) walk(c, name ? `${name}.${n}` : n);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** [name, parameter] pairs with PyTorch's dotted names ('0.weight', 'layers.1.bias'). */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mn, m] of mods) {
      for (const [pn, p] of m.ownParameters()) {
        if (seen.has(p)) continue; // shared (tied) parameters are listed once
        seen.add(p);
        out.push([mn ? `${mn}.${pn}` : pn, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mn, m] of mods) {
      for (const [bn, b] of m._buffers) if (b.tensor) out.push([mn ? `${mn}.${bn}` : bn, b.tensor]);
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** Calls fn on every submodule and then this one (post-order, as PyTorch); returns this. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients -------------------------------------------------------------------

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of all parameters (to null, as PyTorch's default setToNone). */
  zeroGrad(setToNone = true): void {
    zeroGrads(this.parameters(), setToNone);
  }

  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }

  // ---- dtype --------------------------------------------------------------------------------

  /** Converts floating-point parameters and buffers in place (they keep their identity). */
  to(dtype: DType): this {
    const convert = (t: Tensor) => {
      if (!isFloating(t.dtype) || t.dtype === dtype) return;
      t.storage = t.storage.backend.cast(t.storage, dtype);
      if (t.grad) t.grad = t.grad.to(dtype);
    };
    for (const p of this.parameters()) convert(p);
    for (const b of this.buffers()) convert(b);
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  // ---- state ----------------------------------------------------------------------------------

  /** Parameters and persistent buffers by dotted name, sharing storage (detached from the graph). */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [mn, m] of this.namedModules()) {
      const key = (n: string) => (mn ? `${mn}.${n}` : n);
      for (const [pn, p] of m.ownParameters()) sd[key(pn)] = p.detach();
      for (const [bn, b] of m._buffers) if (b.persistent && b.tensor) sd[key(bn)] = b.tensor.detach();
    }
    return sd;
  }

  /**
   * Copies values from a state dict into the parameters and buffers. With strict (the default),
   * missing and unexpected keys are an error; a shape mismatch is always one.
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const targets = new Map<string, Tensor>();
    for (const [mn, m] of this.namedModules()) {
      const key = (n: string) => (mn ? `${mn}.${n}` : n);
      for (const [pn, p] of m.ownParameters()) targets.set(key(pn), p);
      for (const [bn, b] of m._buffers) if (b.persistent && b.tensor) targets.set(key(bn), b.tensor);
    }
    const missingKeys = Object.keys(own).filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !(k in own));
    const errors: string[] = [];
    for (const [k, target] of targets) {
      const src = sd[k];
      if (!src) continue;
      if (!(src instanceof Tensor)) {
        errors.push(`entry '${k}' is not a tensor`);
      } else if (!shapesEqual(src.shape, target.shape)) {
        errors.push(
          `size mismatch for ${k}: copying a tensor of shape ${fmtShape(src.shape)} from the state dict, ` +
            `the shape in the current model is ${fmtShape(target.shape)}`,
        );
      }
    }
    if (strict) {
      if (missingKeys.length) errors.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length)
        errors.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (errors.length) {
      throw new StateDictError(
        `loadStateDict: error(s) loading the state dict for ${this.constructor.name}:\n  ${errors.join('\n  ')}`,
      );
    }
    noGrad(() => {
      for (const [k, target] of targets) {
        const src = sd[k];
        if (src) target.copy_(src.dtype === target.dtype ? src : src.to(target.dtype));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ---------------------------------------------------------------------------------

  /** The layer's settings for printing, e.g. 'in_features=2, out_features=3, bias=true'. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-like nested repr. */
  toString(): string {
    const extra = this.extraRepr();
    const lines = [
      ...(extra ? extra.split('\n') : []),
      ...this.namedChildren().map(([n, m]) => `(${n}): ${m.toString().split('\n').join('\n  ')}`),
    ];
    const name = this.constructor.name;
    if (lines.length === 1 && extra) return `${name}(${extra})`;
    return lines.length ? `${name}(\n  ${lines.join('\n  ')}\n)` : `${name}()`;
  }

  /** A table of the modules with their own parameter counts, and the totals. */
  summary(): string {
    const rows: [string, string, number][] = this.namedModules().map(([n, m]) => [
      n || '(root)',
      m.constructor.name,
      m.ownParameters().reduce((s, [, p]) => s + p.numel(), 0),
    ]);
    const total = this.parameters().reduce((s, p) => s + p.numel(), 0);
    const trainable = this.parameters()
      .filter((p) => p.requiresGrad)
      .reduce((s, p) => s + p.numel(), 0);
    const w0 = Math.max(6, ...rows.map((r) => r[0].length));
    const w1 = Math.max(4, ...rows.map((r) => r[1].length));
    const fmt = (a: string, b: string, c: string) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c.padStart(10)}`;
    const lines = [fmt('module', 'type', 'params'), '-'.repeat(w0 + w1 + 14)];
    for (const [n, t, c] of rows) lines.push(fmt(n, t, c.toLocaleString('en-US')));
    lines.push('-'.repeat(w0 + w1 + 14));
    lines.push(
      `total parameters: ${total.toLocaleString('en-US')} (trainable: ${trainable.toLocaleString('en-US')})`,
    );
    return lines.join('\n');
  }
}

export function checkInputDims(op: string, x: Tensor, allowed: readonly number[]): void {
  if (!allowed.includes(x.ndim)) {
    throw new ShapeError(
      `${op}: expected a ${allowed.join('-D or ')}-D input, got shape ${fmtShape(x.shape)}`,
    );
  }
}
