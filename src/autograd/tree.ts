import { Tensor } from '../tensor/tensor.js';

/** Nested objects and arrays with tensors at the leaves (a parameter tree). */
export type TensorTree =
  Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree } | number | null;

/** The tensors of a tree in a fixed order (arrays by index, objects by key order). */
export function treeLeaves(tree: unknown): Tensor[] {
  const out: Tensor[] = [];
  const walk = (x: unknown) => {
    if (x instanceof Tensor) out.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(tree);
  return out;
}

/** A tree of the same structure with each tensor replaced by fn(tensor). Non-tensor leaves stay. */
export function treeMap<T>(tree: T, fn: (t: Tensor) => unknown): T {
  const walk = (x: unknown): unknown => {
    if (x instanceof Tensor) return fn(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    }
    return x;
  };
  return walk(tree) as T;
}
