/**
 * The step view: one optimizer step as the source text writes it, for the chosen sample. Forward:
 * z_j = Σ_i w_ji a_i + b_j and a_j = f(z_j). Backward: δ = a − t at the sigmoid output (binary
 * cross-entropy), δ_j = f′(z_j) Σ_k w_kj δ_k below it, ∂E/∂w_ji = δ_j a_i. Update: the change Δw_ji
 * the optimizer made. Every number cell carries its full value in data-value (data-q names the
 * quantity), so that tests can compare it with the library.
 */
import type { ActivationName, LayerStep, Matrix, StepDetail } from '../protocol.js';

type Child = Node | string;

function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(2);
}

function num(v: number, attrs: Record<string, string>): HTMLElement {
  return el('td', { ...attrs, 'data-value': String(v), title: String(v), class: 'num' }, fmt(v));
}

/** f′(z) from z and a = f(z), where it has a closed form in them. */
function derivative(act: ActivationName, z: number, a: number): number | null {
  switch (act) {
    case 'tanh':
      return 1 - a * a;
    case 'sigmoid':
      return a * (1 - a);
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'leakyRelu':
      return z > 0 ? 1 : 0.01;
    case 'linear':
      return 1;
    case 'gelu':
      return null;
  }
}

/** A weight-shaped table: rows j (this layer's units), columns i (the previous layer's). */
function matrixTable(m: Matrix, q: string, layer: number): HTMLElement {
  const head = el(
    'tr',
    {},
    el('th', {}, 'j \\ i'),
    ...Array.from({ length: m.cols }, (_, i) => el('th', {}, String(i + 1))),
  );
  const rows = Array.from({ length: m.rows }, (_, j) =>
    el(
      'tr',
      {},
      el('th', {}, String(j + 1)),
      ...Array.from({ length: m.cols }, (_, i) =>
        num(m.values[j * m.cols + i], {
          'data-q': q,
          'data-layer': String(layer),
          'data-row': String(j),
          'data-col': String(i),
        }),
      ),
    ),
  );
  return el('table', { class: 'matrix' }, head, ...rows);
}

function forward(d: StepDetail): HTMLElement {
  const parts = d.layers.map((layer, l) => {
    const rows = layer.z.map((z, j) =>
      el(
        'tr',
        {},
        el('th', {}, String(j + 1)),
        num(z, { 'data-q': 'z', 'data-layer': String(l), 'data-unit': String(j) }),
        num(layer.a[j], { 'data-q': 'a', 'data-layer': String(l), 'data-unit': String(j) }),
      ),
    );
    const fn = layer.name === 'output' ? 'σ' : 'f';
    return el(
      'div',
      { class: 'layer' },
      el('h4', {}, `${layer.name} (layer ${l + 1})`),
      el(
        'table',
        {},
        el('tr', {}, el('th', {}, 'j'), el('th', {}, 'z_j'), el('th', {}, `a_j = ${fn}(z_j)`)),
        ...rows,
      ),
    );
  });
  return el(
    'details',
    { open: '', class: 'pass', id: 'forward-pass' },
    el('summary', {}, 'Forward pass: z_j = Σ_i w_ji a_i + b_j, a_j = f(z_j)'),
    el('div', { class: 'layers' }, ...parts),
  );
}

function backwardLayer(d: StepDetail, l: number, act: ActivationName, batchNorm: boolean): HTMLElement {
  const layer: LayerStep = d.layers[l];
  const output = l === d.layers.length - 1;
  const next = d.layers[l + 1];
  const chain = !output && !batchNorm;
  const head = ['j', ...(chain ? ['f′(z_j)', 'Σ_k w_kj δ_k'] : []), 'δ_j = ∂E/∂z_j'];
  const rows = layer.delta.map((delta, j) => {
    const cells: HTMLElement[] = [];
    if (chain) {
      const fp = derivative(act, layer.z[j], layer.a[j]);
      let sum = 0;
      for (let k = 0; k < next.weight.rows; k++)
        sum += next.weight.values[k * next.weight.cols + j] * next.delta[k];
      cells.push(
        fp === null ? el('td', {}, '—') : num(fp, { 'data-q': 'fprime' }),
        num(sum, { 'data-q': 'backsum' }),
      );
    }
    return el(
      'tr',
      {},
      el('th', {}, String(j + 1)),
      ...cells,
      num(delta, { 'data-q': 'delta', 'data-layer': String(l), 'data-unit': String(j) }),
    );
  });
  const rule = output
    ? `δ = a − t = ${fmt(layer.a[0])} − ${d.target}`
    : chain
      ? 'δ_j = f′(z_j) · Σ_k w_kj δ_k'
      : 'δ_j = ∂E/∂z_j (through batch norm)';
  return el(
    'div',
    { class: 'layer' },
    el('h4', {}, `${layer.name} (layer ${l + 1})`),
    el('p', { class: 'rule' }, rule),
    el('table', {}, el('tr', {}, ...head.map((h) => el('th', {}, h))), ...rows),
    el('p', { class: 'rule' }, '∂E/∂w_ji = δ_j · a_i'),
    matrixTable(layer.weightGrad, 'grad', l),
  );
}

function update(d: StepDetail): HTMLElement {
  const parts = d.layers.map((layer, l) =>
    el(
      'div',
      { class: 'layer' },
      el('h4', {}, `${layer.name}: Δw_ji`),
      matrixTable(layer.update, 'update', l),
    ),
  );
  const note =
    `w_ji ← w_ji + Δw_ji, from the gradient of a mini-batch of ${d.batchSize} with ${d.optimizer}, η = ${d.lr}` +
    (d.optimizer === 'sgd' ? ' (plain SGD with a batch of this one sample: Δw = −η ∂E/∂w)' : '');
  return el(
    'details',
    { open: '', class: 'pass', id: 'update-pass' },
    el('summary', {}, 'Update'),
    el('p', { class: 'rule' }, note),
    el('div', { class: 'layers' }, ...parts),
  );
}

export function renderStep(root: HTMLElement, d: StepDetail, act: ActivationName, batchNorm: boolean): void {
  const [x1, x2] = d.input.map(fmt);
  const header = el(
    'p',
    { class: 'sample' },
    `Sample #${d.sample + 1}: a⁰ = (${x1}, ${x2}), target t = ${d.target}; ` +
      `E = −[t ln a + (1 − t) ln(1 − a)] = ${fmt(d.loss)}` +
      (d.evalMode ? ' (this pass in evaluation mode: no dropout, batch norm with running statistics)' : ''),
  );
  const backLayers = d.layers.map((_, l) => backwardLayer(d, l, act, batchNorm)).reverse();
  const backward = el(
    'details',
    { open: '', class: 'pass', id: 'backward-pass' },
    el('summary', {}, 'Backward pass: δ = ∂E/∂z, from the output back'),
    el('div', { class: 'layers' }, ...backLayers),
  );
  root.replaceChildren(header, forward(d), backward, update(d));
}
