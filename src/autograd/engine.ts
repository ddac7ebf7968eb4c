import { AutogradError, fmtShape } from '../tensor/errors.js';
import { shapesEqual, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { onesLike } from '../tensor/create.js';
import { add } from '../ops/arith.js';
import { checkAnomaly, isAnomalyEnabled, runBackwardFn } from './anomaly.js';
import { enableGrad, noGrad } from './grad-mode.js';
import type { Node } from './node.js';

export interface BackwardOptions {
  /** Keep the graph (saved tensors) so that backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, so that the gradients can be differentiated again. */
  createGraph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/**
 * Reverse-mode sweep over the recorded graph: nodes run in reverse topological order, each receiving
 * the summed gradients of its outputs and passing its input gradients along the edges. With
 * `capture`, gradients of those tensors are returned instead of accumulated into leaves' .grad.
 */
function sweep(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  opts: BackwardOptions,
  capture: readonly Tensor[] | null,
): Map<Tensor, Tensor> {
  const retain = opts.retainGraph ?? opts.createGraph ?? false;
  const createGraph = opts.createGraph ?? false;
  const captured = new Map<Tensor, Tensor>();
  const captureLeaves = new Set<Tensor>();
  const captureOutputs = new Map<Node, Map<number, Tensor>>();
  for (const t of capture ?? []) {
    if (t.gradFn) {
      let m = captureOutputs.get(t.gradFn);
      if (!m) captureOutputs.set(t.gradFn, (m = new Map()));
      m.set(t.outputIndex, t);
    } else captureLeaves.add(t);
  }

  const deliverLeaf = (leaf: Tensor, g: Tensor) => {
    if (capture) {
      if (captureLeaves.has(leaf)) {
        const prev = captured.get(leaf);
        captured.set(leaf, prev ? add(prev, g) : g);
      }
      return;
    }
    if (leaf.grad) {
      leaf.grad = noGradUnless(createGraph, () => add(leaf.grad!, createGraph ? g : g.detach()));
    } else {
      // A gradient passed through unchanged (add, reshape, ...) can share storage with another
      // leaf's or the caller's tensor: .grad gets storage of its own, as PyTorch's AccumulateGrad does,
      // so that in-place updates of one gradient (clipping, zeroing) cannot change another.
      leaf.grad = createGraph ? g : new Tensor(g.storage.backend.cast(g.storage, g.dtype), g.shape);
    }
  };

  // Every node reachable from the roots (iteratively: graphs of long sequences are deeper than the
  // call stack).
  const reachable: Node[] = [];
  const seen = new Set<Node>();
  const stack: Node[] = [];
  const visit = (n: Node | null) => {
    if (n && !seen.has(n)) {
      seen.add(n);
      reachable.push(n);
      stack.push(n);
    }
  };
  for (const r of roots) visit(r.gradFn);
  while (stack.length) for (const e of stack.pop()!.edges) if (e && 'node' in e) visit(e.node);

  // `active` nodes collect output gradients, `run` nodes also execute their backward. With capture,
  // only the part of the graph that leads to a captured tensor is active (as PyTorch prunes): other
  // branches may have been freed already, and computing them would be wasted work.
  let active: ReadonlySet<Node> = seen;
  let run: ReadonlySet<Node> = seen;
  if (capture) {
    const parents = new Map<Node, Node[]>();
    for (const n of reachable) {
      for (const e of n.edges) {
        if (!e || !('node' in e)) continue;
        const ps = parents.get(e.node);
        if (ps) ps.push(n);
        else parents.set(e.node, [n]);
      }
    }
    const act = new Set<Node>();
    const exec = new Set<Node>();
    const work: Node[] = [];
    const mark = (n: Node) => {
      if (!act.has(n)) {
        act.add(n);
        work.push(n);
      }
    };
    for (const n of reachable) {
      if (captureOutputs.has(n)) mark(n);
      if (n.edges.some((e) => e && 'leaf' in e && captureLeaves.has(e.leaf))) {
        exec.add(n);
        mark(n);
      }
    }
    while (work.length) {
      for (const p of parents.get(work.pop()!) ?? []) {
        exec.add(p);
        mark(p);
      }
    }
    active = act;
    run = exec;
  }
  for (const n of run) {
    if (n.released) {
      throw new AutogradError(
        `backward: trying to backward through the graph a second time (the saved tensors of '${n.name}' ` +
          `were freed by the first backward); pass { retainGraph: true } to the first backward if you need to`,
      );
    }
  }
  // For every active node, how many edges from running nodes lead to it.
  const deps = new Map<Node, number>();
  for (const n of active) if (!deps.has(n)) deps.set(n, 0);
  for (const n of run) {
    for (const e of n.edges)
      if (e && 'node' in e && active.has(e.node)) deps.set(e.node, deps.get(e.node)! + 1);
  }

  const pending = new Map<Node, (Tensor | null)[]>();
  const accumulate = (n: Node, i: number, g: Tensor) => {
    let arr = pending.get(n);
    if (!arr) pending.set(n, (arr = new Array(n.outputs.length).fill(null)));
    arr[i] = arr[i] ? noGradUnless(createGraph, () => add(arr![i]!, g)) : g;
  };
  roots.forEach((r, i) => {
    if (r.gradFn) {
      if (active.has(r.gradFn)) accumulate(r.gradFn, r.outputIndex, rootGrads[i]);
    } else if (capture) {
      if (captureLeaves.has(r)) captured.set(r, rootGrads[i]);
    } else deliverLeaf(r, rootGrads[i]);
  });

  const ready: Node[] = [...deps.keys()].filter((n) => deps.get(n) === 0);
  while (ready.length) {
    const node = ready.pop()!;
    const outGrads = pending.get(node);
    pending.delete(node);
    const children = node.edges;
    if (outGrads) runNode(node, outGrads);
    if (!run.has(node)) continue;
    for (const e of children) {
      if (!e || !('node' in e) || !active.has(e.node)) continue;
      const left = deps.get(e.node)! - 1;
      deps.set(e.node, left);
      if (left === 0) ready.push(e.node);
    }
    if (!retain) node.release();
  }
  return captured;

  function runNode(node: Node, outGrads: (Tensor | null)[]): void {
    // An output that received no gradient gets zeros, on the backend the output lives on.
    const grads = outGrads.map((g, i) => {
      if (g) return g;
      const o = node.outputs[i];
      return new Tensor(o.backend.fill(sizeOf(o.shape), 0, o.dtype), o.shape);
    });
    const captures = captureOutputs.get(node);
    if (captures) for (const [i, t] of captures) captured.set(t, grads[i]);
    if (node.retained) {
      for (const [i, ref] of node.retained) {
        const t = ref.deref();
        if (t)
          t.grad = t.grad
            ? noGrad(() => add(t.grad!, grads[i]))
            : createGraph
              ? grads[i]
              : new Tensor(grads[i].storage.backend.cast(grads[i].storage, grads[i].dtype), grads[i].shape);
      }
    }
    if (!run.has(node)) return;
    for (const s of node.saved) {
      if (s.tensor.version !== s.version) {
        throw new AutogradError(
          `backward: a tensor of shape ${fmtShape(s.tensor.shape)} saved by '${node.name}' was modified by an ` +
            `in-place operation (version ${s.tensor.version}, expected ${s.version}); use an out-of-place op or clone() it first`,
        );
      }
    }
    const fn = node.backwardFn!;
    const inGrads = noGradUnless(createGraph, () => runBackwardFn(() => fn(grads)));
    if (isAnomalyEnabled()) checkAnomaly('backward', node.name, grads, inGrads, node.forwardStack);
    node.edges.forEach((e, i) => {
      const g = inGrads[i];
      if (!e || !g) return;
      const expect = 'leaf' in e ? e.leaf : e.node.outputs[e.index];
      if (!shapesEqual(g.shape, expect.shape)) {
        throw new AutogradError(
          `backward: '${node.name}' returned a gradient of shape ${fmtShape(g.shape)} for input ${i} of shape ${fmtShape(expect.shape)}`,
        );
      }
      const gd = g.dtype === expect.dtype ? g : noGradUnless(createGraph, () => g.to(expect.dtype));
      if ('leaf' in e) deliverLeaf(e.leaf, gd);
      else if (active.has(e.node)) accumulate(e.node, e.index, gd);
    });
  }
}

function noGradUnless<T>(createGraph: boolean, fn: () => T): T {
  return createGraph ? enableGrad(fn) : noGrad(fn);
}

function checkRoots(
  op: string,
  outputs: readonly Tensor[],
  grads: readonly (Tensor | null | undefined)[],
): Tensor[] {
  return outputs.map((o, i) => {
    if (!(o instanceof Tensor)) throw new AutogradError(`${op}: outputs must be tensors`);
    if (!o.requiresGrad) {
      throw new AutogradError(
        `${op}: element ${i} of the outputs does not require grad and has no gradFn ` +
          `(was it computed inside noGrad, or from tensors without requiresGrad?)`,
      );
    }
    const g = grads[i];
    if (g === undefined || g === null) {
      if (o.numel() !== 1) {
        throw new AutogradError(
          `${op}: a gradient can be created implicitly only for scalar outputs (output ${i} has shape ` +
            `${fmtShape(o.shape)}); pass a gradient of that shape`,
        );
      }
      return onesLike(o);
    }
    if (!shapesEqual(g.shape, o.shape)) {
      throw new AutogradError(
        `${op}: the gradient's shape ${fmtShape(g.shape)} does not match the output's ${fmtShape(o.shape)}`,
      );
    }
    return g.dtype === o.dtype ? g : g.to(o.dtype);
  });
}

/** Accumulates d(outputs)/d(leaf) into leaf.grad for every leaf that requires grad. */
export function backward(
  outputs: Tensor | readonly Tensor[],
  gradients?: Tensor | readonly (Tensor | null | undefined)[] | null,
  opts: BackwardOptions = {},
): void {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const gs = gradients instanceof Tensor ? [gradients] : gradients ? [...gradients] : [];
  sweep(outs, checkRoots('backward', outs, gs), opts, null);
}

/**
 * Gradients of outputs with respect to inputs, returned rather than accumulated (torch.autograd.grad).
 * With createGraph the result is itself differentiable (gradients of gradients).
 */
export function autogradGrad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  opts: GradOptions & { gradOutputs?: Tensor | readonly (Tensor | null | undefined)[] } = {},
): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  const go = opts.gradOutputs;
  const gs = go instanceof Tensor ? [go] : go ? [...go] : [];
  ins.forEach((t, i) => {
    if (!t.requiresGrad)
      throw new AutogradError(`grad: input ${i} (shape ${fmtShape(t.shape)}) does not require grad`);
  });
  const captured = sweep(outs, checkRoots('grad', outs, gs), opts, ins);
  return ins.map((t, i) => {
    const g = captured.get(t);
    if (!g && !opts.allowUnused) {
      throw new AutogradError(
        `grad: input ${i} (shape ${fmtShape(t.shape)}) was not used to compute the outputs; pass { allowUnused: true } to get null for it`,
      );
    }
    return g ?? null;
  });
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Computes gradients of this tensor with respect to the graph's leaves (accumulated in .grad). */
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    /** Keeps .grad for this non-leaf tensor during backward. */
    retainGrad(): void;
  }
}

Tensor.prototype.backward = function (gradient?: Tensor | null, opts?: BackwardOptions) {
  backward(this, gradient ?? null, opts);
};

Tensor.prototype.retainGrad = function () {
  if (!this.requiresGrad)
    throw new AutogradError("retainGrad: can't retain the gradient of a tensor that does not require grad");
  if (!this.gradFn) return; // leaves keep .grad anyway
  const n = this.gradFn;
  if (!n.retained) n.retained = new Map();
  n.retained.set(this.outputIndex, new WeakRef(this));
};
