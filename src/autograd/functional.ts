import { AutogradError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../tensor/create.js';
import { autogradGrad } from './engine.js';
import { enableGrad, isGradEnabled } from './grad-mode.js';
import type { Node } from './node.js';
import { record } from './record.js';
import { treeLeaves, treeMap } from './tree.js';

export interface TransformOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  argnums?: number | readonly number[];
}

/**
 * Makes fresh differentiable inputs for a transform. Inputs already on an outer graph are passed
 * through an identity node, so that grad(grad(f)) stays connected to the outer transform.
 */
function trace(x: Tensor): Tensor {
  if (x.requiresGrad && isGradEnabled())
    return record('identity', [x], new Tensor(x.storage, x.shape), (g) => [g]);
  return x.detach().requiresGrad_(true);
}

/**
 * Whether the graph of `roots` reaches a leaf that requires grad other than `own`: a tensor that f
 * closes over (weights, say). Gradients then depend on it and must stay differentiable.
 */
function reachesOtherLeaves(roots: readonly Tensor[], own: ReadonlySet<Tensor>): boolean {
  const seen = new Set<Node>();
  const stack: Node[] = [];
  const edge = (t: Tensor | null, n: Node | null): boolean => {
    if (n) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
      return false;
    }
    return t !== null && t.requiresGrad && !own.has(t);
  };
  for (const r of roots) if (edge(r.gradFn ? null : r, r.gradFn)) return true;
  while (stack.length) {
    for (const e of stack.pop()!.edges) {
      if (e && edge('leaf' in e ? e.leaf : null, 'node' in e ? e.node : null)) return true;
    }
  }
  return false;
}

function argnumList(argnums: number | readonly number[] | undefined): number[] {
  return argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
}

function valueAndGradImpl(
  f: (...args: any[]) => Tensor,
  argnums: number[],
  args: unknown[],
): [Tensor, unknown[]] {
  const traced = [...args];
  for (const i of argnums) traced[i] = treeMap(args[i], trace);
  const gradMode = isGradEnabled();
  const leaves = argnums.flatMap((i) => treeLeaves(traced[i]));
  return enableGrad(() => {
    const value = f(...traced);
    if (!(value instanceof Tensor) || value.numel() !== 1) {
      const what = value instanceof Tensor ? `shape ${fmtShape(value.shape)}` : typeof value;
      throw new AutogradError(
        `grad: the function must return a one-element tensor, got ${what}; use vjp for others`,
      );
    }
    // Keep the gradients differentiable when they depend on tensors that require grad outside.
    const outer =
      gradMode &&
      (argnums.some((i) => treeLeaves(args[i]).some((t) => t.requiresGrad)) ||
        reachesOtherLeaves([value], new Set(leaves)));
    const grads = value.requiresGrad
      ? autogradGrad(value, leaves, { allowUnused: true, createGraph: outer })
      : leaves.map(() => null);
    let k = 0;
    const out = argnums.map((i) =>
      treeMap(traced[i], (t) => {
        const g = grads[k++];
        return g ?? zerosLike(t);
      }),
    );
    return [outer ? value : value.detach(), out];
  });
}

/**
 * JAX-style grad: grad(f)(params, ...rest) returns d f / d params with the same tree structure as
 * params (nested objects/arrays of tensors). f must return a one-element tensor.
 */
export function grad<A extends unknown[], const O extends TransformOptions = Record<string, never>>(
  f: (...args: A) => Tensor,
  opts?: O,
): (...args: A) => GradOf<A, O> {
  const nums = argnumList(opts?.argnums);
  return (...args: A) => {
    const [, gs] = valueAndGradImpl(f, nums, args);
    return (typeof opts?.argnums === 'object' ? gs : gs[0]) as GradOf<A, O>;
  };
}

/** The gradient's type: that of the differentiated argument (a tuple of unknowns for several). */
export type GradOf<A extends unknown[], O> = O extends { argnums: infer N extends readonly number[] }
  ? { -readonly [K in keyof N]: A[N[K] & number] }
  : O extends { argnums: infer N extends number }
    ? A[N]
    : A[0];

/** Like grad, but returns [value, gradients]. */
export function valueAndGrad<A extends unknown[], const O extends TransformOptions = Record<string, never>>(
  f: (...args: A) => Tensor,
  opts?: O,
): (...args: A) => [Tensor, GradOf<A, O>] {
  const nums = argnumList(opts?.argnums);
  return (...args: A) => {
    const [v, gs] = valueAndGradImpl(f, nums, args);
    return [v, (typeof opts?.argnums === 'object' ? gs : gs[0]) as GradOf<A, O>];
  };
}

/**
 * Vector-Jacobian product: vjp(f, ...primals) returns [f(...primals), vjpFn], where vjpFn(cotangent)
 * returns, for each primal, the cotangent pulled back to that primal's tree structure.
 */
export function vjp<R>(f: (...args: any[]) => R, ...primals: unknown[]): [R, (cotangent: R) => unknown[]] {
  const traced = primals.map((p) => treeMap(p, trace));
  const gradMode = isGradEnabled();
  const out = enableGrad(() => f(...traced));
  const leaves = traced.flatMap((p) => treeLeaves(p));
  const outLeaves = treeLeaves(out);
  const outer =
    gradMode &&
    (primals.some((p) => treeLeaves(p).some((t) => t.requiresGrad)) ||
      reachesOtherLeaves(outLeaves, new Set(leaves)));
  const vjpFn = (cotangent: R): unknown[] => {
    const cts = treeLeaves(cotangent);
    if (cts.length !== outLeaves.length) {
      throw new AutogradError(
        `vjp: the cotangent has ${cts.length} tensors but the output has ${outLeaves.length}`,
      );
    }
    const live = outLeaves.map((o, i) => [o, cts[i]] as const).filter(([o]) => o.requiresGrad);
    const grads = live.length
      ? autogradGrad(
          live.map(([o]) => o),
          leaves,
          { gradOutputs: live.map(([, c]) => c), allowUnused: true, retainGraph: true, createGraph: outer },
        )
      : leaves.map(() => null);
    let k = 0;
    return traced.map((p) =>
      treeMap(p, (t) => {
        const g = grads[k++];
        return g ?? zerosLike(t);
      }),
    );
  };
  const shown = outer ? out : treeMap(out, (t) => t.detach());
  return [shown, vjpFn];
}
