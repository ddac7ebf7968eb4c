/**
 * Containers: Sequential, ModuleList, ModuleDict, and Residual for skip connections. Children are
 * stored as properties named like PyTorch's ('0', '1', … or the given keys), so parameter names
 * come out as PyTorch's ('0.weight', 'layers.1.bias') and PyTorch state dicts load one to one.
 */
import { ChainruleError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { shapesEqual } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { add } from '../../ops/arith.js';
import { Module } from '../module.js';
import { ReLU } from './activation.js';
import { Linear } from './linear.js';
import { Conv1d, Conv2d } from './conv.js';

function checkModule(op: string, m: unknown, name: string): Module {
  if (!(m instanceof Module)) {
    throw new ChainruleError(`${op}: '${name}' is not a Module (got ${m === null ? 'null' : typeof m})`);
  }
  return m;
}

/** Refuses names that would clobber a property of the container itself (e.g. 'training', 'forward'). */
function checkName(op: string, owner: Module, name: string): void {
  if (name === '' || name.includes('.')) {
    throw new ChainruleError(`${op}: module name '${name}' must be non-empty and cannot contain '.'`);
  }
  if (name in owner && !((owner as any)[name] instanceof Module)) {
    throw new ChainruleError(
      `${op}: module name '${name}' clashes with an attribute of ${owner.constructor.name}`,
    );
  }
}

function positional(op: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) {
    throw new IndexError(`${op}: index ${i} is out of range for a container of ${n} modules`);
  }
  return i < 0 ? i + n : i;
}

/**
 * Runs its modules one after the other: `new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2))`
 * names them '0', '1', '2'; `new Sequential({ fc: …, act: … })` uses the given names (keys that look
 * like integers are ordered numerically first, as JavaScript orders object keys).
 */
export class Sequential extends Module implements Iterable<Module> {
  [index: number]: Module;

  constructor(...modules: Module[]);
  constructor(named: Record<string, Module>);
  constructor(...args: (Module | Record<string, Module>)[]) {
    super();
    if (args.length === 1 && !(args[0] instanceof Module)) {
      for (const [name, m] of Object.entries(args[0])) {
        checkName('Sequential', this, name);
        this.registerModule(name, checkModule('Sequential', m, name));
      }
    } else {
      args.forEach((m, i) => this.registerModule(String(i), checkModule('Sequential', m, String(i))));
    }
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The module at a position (negative counts from the end). */
  at(i: number): Module {
    const kids = this.children();
    return kids[positional('Sequential.at', i, kids.length)];
  }

  /** Adds a module at the end, named by its position; returns this. */
  append(module: Module): this {
    const name = String(this.length);
    checkName('Sequential.append', this, name);
    this.registerModule(name, checkModule('Sequential.append', module, name));
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** A new Sequential holding modules [start, end) (the same module objects, names kept). */
  slice(start = 0, end?: number): Sequential {
    return new Sequential(Object.fromEntries(this.namedChildren().slice(start, end)));
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  forward(input: any): any {
    let x = input;
    const kids = this.children();
    for (let i = 0; i < kids.length; i++) {
      const m = kids[i];
      // A Linear → ReLU or Conv → ReLU pair runs as one op (a fused kernel where the backend has
      // one). Only the library's own classes with their own forward: a subclass or an instance may
      // replace it.
      const fusable = plain(m, Linear) || plain(m, Conv2d) || plain(m, Conv1d);
      if (fusable && plain(kids[i + 1], ReLU)) {
        x = (m as Linear | Conv2d | Conv1d).forwardRelu(x);
        i++;
      } else x = m.forward(x);
    }
    return x;
  }
}

/** Whether m is an instance of exactly cls whose forward is cls's own (not replaced). */
function plain(
  m: Module | undefined,
  cls: typeof Linear | typeof ReLU | typeof Conv2d | typeof Conv1d,
): boolean {
  const proto = cls.prototype as Module;
  return m !== undefined && Object.getPrototypeOf(m) === proto && m.forward === proto.forward;
}

/**
 * A list of modules whose parameters are registered (a plain array's would not be), named '0', '1', ….
 * It has no forward: iterate over it in the owner's forward.
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  [index: number]: T;

  constructor(modules: Iterable<T> = []) {
    super();
    this.extend(modules);
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(i: number): T {
    const kids = this.children() as T[];
    return kids[positional('ModuleList.at', i, kids.length)];
  }

  append(module: T): this {
    const name = String(this.length);
    this.registerModule(name, checkModule('ModuleList.append', module, name));
    return this;
  }

  extend(modules: Iterable<T>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts before position i, renumbering the modules after it. */
  insert(i: number, module: T): this {
    const kids = this.children() as T[];
    const at = i === kids.length ? i : positional('ModuleList.insert', i, kids.length);
    checkModule('ModuleList.insert', module, String(at));
    kids.forEach((_, k) => delete (this as any)[String(k)]);
    kids.splice(at, 0, module);
    kids.forEach((m, k) => this.registerModule(String(k), m));
    return this;
  }

  [Symbol.iterator](): Iterator<T> {
    return (this.children() as T[])[Symbol.iterator]();
  }

  forward(): never {
    throw new ChainruleError('ModuleList: has no forward; iterate over its modules instead');
  }
}

/** Modules by name, registered so that their parameters are found ('blocks.encoder.weight'). */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<string> {
  constructor(modules: Record<string, T> | Iterable<[string, T]> = {}) {
    super();
    this.update(modules);
  }

  get size(): number {
    return this.namedChildren().length;
  }

  get length(): number {
    return this.size;
  }

  has(key: string): boolean {
    return this.namedChildren().some(([n]) => n === key);
  }

  get(key: string): T {
    if (!this.has(key)) throw new IndexError(`ModuleDict.get: no module named '${key}'`);
    return (this as any)[key] as T;
  }

  set(key: string, module: T): this {
    checkName('ModuleDict.set', this, key);
    this.registerModule(key, checkModule('ModuleDict.set', module, key));
    return this;
  }

  /** Removes a module and returns it (PyTorch's pop). */
  delete(key: string): T {
    const m = this.get(key);
    delete (this as any)[key];
    return m;
  }

  update(modules: Record<string, T> | Iterable<[string, T]>): this {
    const entries =
      Symbol.iterator in Object(modules)
        ? [...(modules as Iterable<[string, T]>)]
        : Object.entries(modules as Record<string, T>);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }

  keys(): string[] {
    return this.namedChildren().map(([n]) => n);
  }

  values(): T[] {
    return this.children() as T[];
  }

  entries(): [string, T][] {
    return this.namedChildren() as [string, T][];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  forward(): never {
    throw new ChainruleError('ModuleDict: has no forward; call its modules instead');
  }
}

/**
 * A residual (skip) connection: forward(x) = shortcut(x) + block(x), where the shortcut is x itself
 * or, when the block changes the shape, a projection module (e.g. a Linear). This is the clean way to
 * write residual networks, whose identity paths keep gradients from vanishing in deep stacks:
 *
 *   const layer = new Residual(new Sequential(new Linear(64, 64), new ReLU(), new Linear(64, 64)));
 *   const down = new Residual(new Linear(64, 32), new Linear(64, 32, { bias: false }));
 */
export class Residual extends Module {
  block: Module;
  projection: Module | null;

  constructor(block: Module, projection: Module | null = null) {
    super();
    this.block = checkModule('Residual', block, 'block');
    this.projection = projection === null ? null : checkModule('Residual', projection, 'projection');
  }

  forward(x: Tensor): Tensor {
    const y = this.block.forward(x) as Tensor;
    const skip = this.projection ? (this.projection.forward(x) as Tensor) : x;
    if (!(y instanceof Tensor) || !shapesEqual(y.shape, skip.shape)) {
      const shape = y instanceof Tensor ? fmtShape(y.shape) : typeof y;
      throw new ShapeError(
        `Residual: the block's output ${shape} does not match the shortcut's ${fmtShape(skip.shape)}` +
          (this.projection ? '' : '; pass a projection module that maps the input to that shape'),
      );
    }
    return add(skip, y);
  }
}
