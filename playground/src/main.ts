/**
 * The page: reads the controls, sends commands to the training engine (a Web Worker, or the main
 * thread where workers are unavailable) and draws what it reports.
 */
import type { BackendChoice } from './backends.js';
import { NOISE_MEANING } from './datasets.js';
import { startEngine } from './engine.js';
import type { ActivationName, Config, LiveSettings, Progress, Ready, Reply, StepDetail } from './protocol.js';
import { drawBoundary, pickSample } from './views/boundary.js';
import { drawChart } from './views/curves.js';
import type { Series } from './views/curves.js';
import { drawNetwork } from './views/network.js';
import { renderStep } from './views/step.js';

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => document.getElementById(id) as T;
const value = (id: string) => $(id).value;
const number = (id: string, fallback: number) => {
  const v = Number(value(id));
  return value(id).trim() !== '' && Number.isFinite(v) && v >= 0 ? v : fallback;
};

function hiddenLayers(): number[] {
  const text = value('hidden').trim();
  if (!text) return [];
  return text
    .split(',')
    .map((s) => Math.round(Number(s)))
    .filter((n) => Number.isFinite(n) && n > 0)
    .map((n) => Math.min(n, 32))
    .slice(0, 12);
}

function liveSettings(): LiveSettings {
  return {
    lr: number('lr', 0.03),
    batchSize: Math.max(1, Math.round(number('batch-size', 10))),
    l1: number('l1', 0),
    l2: number('l2', 0),
    speed: number('speed', 5),
  };
}

function readConfig(): Config {
  return {
    dataset: value('dataset') as Config['dataset'],
    points: number('points', 400),
    noise: number('noise', 0.1),
    trainFraction: number('train-fraction', 0.5),
    hidden: hiddenLayers(),
    activation: value('activation') as ActivationName,
    optimizer: value('optimizer') as Config['optimizer'],
    dropout: number('dropout', 0),
    batchNorm: $('batch-norm').checked,
    seed: Math.round(number('seed', 0)),
    backend: value('backend') as BackendChoice,
    ...liveSettings(),
  };
}

/** What the page has been told, and the curves so far. */
const state = {
  config: readConfig(),
  ready: null as Ready | null,
  progress: null as Progress | null,
  step: null as StepDetail | null,
  running: false,
  selected: 0,
  errors: [] as string[],
  history: { epoch: [] as number[], train: [] as number[], test: [] as number[], norms: [] as number[][] },
  /** Recent (time, epoch) pairs for the epochs-per-second readout. */
  rate: [] as [number, number][],
};

const engine = startEngine(onReply, new URLSearchParams(location.search).get('worker') !== '0');

function reset(): void {
  state.config = readConfig();
  state.ready = null;
  state.progress = null;
  state.step = null;
  state.running = false;
  state.selected = 0;
  state.history = { epoch: [], train: [], test: [], norms: [] };
  state.rate = [];
  $('step-view').querySelector('.step-body')?.remove();
  engine.send({ type: 'init', config: state.config });
  redraw();
}

function record(p: Progress): void {
  const h = state.history;
  if (h.epoch.length && p.epoch <= h.epoch[h.epoch.length - 1]) return;
  h.epoch.push(p.epoch);
  h.train.push(p.trainLoss);
  h.test.push(p.testLoss);
  p.gradNorms.forEach((v, l) => (h.norms[l] ??= []).push(v));
  // Keep the curves light: halve the resolution of long histories.
  if (h.epoch.length > 1500) {
    const half = <T>(xs: T[]) => xs.filter((_, i) => i % 2 === 0);
    h.epoch = half(h.epoch);
    h.train = half(h.train);
    h.test = half(h.test);
    h.norms = h.norms.map(half);
  }
  state.rate.push([performance.now(), p.epoch]);
  while (state.rate.length > 2 && state.rate[0][0] < performance.now() - 2000) state.rate.shift();
}

function onReply(r: Reply): void {
  switch (r.type) {
    case 'ready':
      state.ready = r;
      offerBackends(r.backends);
      $('status').textContent = `backend ${r.backend} on the ${r.thread}`;
      $('status').classList.remove('error');
      break;
    case 'progress':
      // Reports of a network replaced by reset() arrive before the new one's 'ready': skip them.
      if (!state.ready) return;
      state.progress = r;
      state.running = r.running;
      record(r);
      break;
    case 'step': {
      if (!state.ready) return;
      state.step = r;
      const body = document.createElement('div');
      body.className = 'step-body';
      renderStep(body, r, state.config.activation, state.config.batchNorm);
      $('step-view').querySelector('.hint')?.remove();
      const old = $('step-view').querySelector('.step-body');
      if (old) old.replaceWith(body);
      else $('step-view').append(body);
      break;
    }
    case 'error':
      state.errors.push(r.message);
      state.running = false;
      $('status').textContent = r.message;
      $('status').classList.add('error');
      console.error(`playground: ${r.message}`);
      break;
  }
  redraw();
}

/** Lists the backends that the engine can use (WebGPU only where it found an adapter). */
function offerBackends(names: readonly BackendChoice[]): void {
  const select = $<HTMLSelectElement>('backend');
  const have = Array.from(select.options, (o) => o.value);
  if (have.join() === names.join()) return;
  const chosen = select.value;
  select.replaceChildren(...names.map((n) => new Option(n, n, false, n === chosen)));
}

let frame = 0;
function redraw(): void {
  if (!frame) frame = requestAnimationFrame(draw);
}

const colors = [
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#1f77b4',
];

function draw(): void {
  frame = 0;
  const { ready, progress: p, history: h } = state;
  $('start').textContent = state.running ? 'pause' : 'start';
  for (const out of document.querySelectorAll<HTMLOutputElement>('output[for]'))
    out.value = value(out.htmlFor.value);
  $('noise-meaning').textContent = NOISE_MEANING[value('dataset') as Config['dataset']];
  if (p) {
    $('epoch').textContent = p.epoch.toFixed(p.epoch < 10 ? 2 : 0);
    $('train-loss').textContent = p.trainLoss.toFixed(4);
    $('test-loss').textContent = p.testLoss.toFixed(4);
    $('test-accuracy').textContent = `${(100 * p.testAccuracy).toFixed(1)}%`;
    const [first, last] = [state.rate[0], state.rate[state.rate.length - 1]];
    if (state.running && last[0] > first[0]) {
      const rate = ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
      $('rate').textContent = rate.toFixed(rate < 10 ? 1 : 0);
    }
  }
  if (!ready) return;
  drawBoundary($<HTMLCanvasElement>('boundary'), {
    grid: p?.grid ?? null,
    gridSize: p?.gridSize ?? 0,
    extent: ready.extent,
    train: ready.train,
    test: ready.test,
    showTest: $('show-test').checked,
    selected: state.selected,
  });
  drawNetwork($<HTMLCanvasElement>('network'), ready.sizes, p?.weights ?? null);
  const losses: Series[] = [
    { label: 'train', color: '#333', xs: h.epoch, ys: h.train },
    { label: 'test', color: '#d62728', xs: h.epoch, ys: h.test },
  ];
  drawChart($<HTMLCanvasElement>('losses'), losses, { title: 'loss (cross-entropy)' });
  const norms = h.norms.map((ys, l) => ({
    label: l === h.norms.length - 1 ? 'output' : `layer ${l + 1}`,
    color: colors[l % colors.length],
    xs: h.epoch,
    ys,
  }));
  drawChart($<HTMLCanvasElement>('norms'), norms, { title: 'gradient norm per layer', logY: true });
}

const structural = [
  'dataset',
  'noise',
  'train-fraction',
  'points',
  'seed',
  'hidden',
  'activation',
  'batch-norm',
  'dropout',
  'optimizer',
  'backend',
];
for (const id of structural) $(id).addEventListener('change', reset);
for (const id of ['lr', 'batch-size', 'l1', 'l2', 'speed']) {
  $(id).addEventListener('change', () => {
    Object.assign(state.config, liveSettings());
    engine.send({ type: 'live', settings: liveSettings() });
    redraw();
  });
}
for (const id of ['noise', 'train-fraction', 'points', 'dropout', 'speed'])
  $(id).addEventListener('input', redraw);
$('show-test').addEventListener('change', redraw);
$('controls').addEventListener('submit', (e) => e.preventDefault());
$('reset').addEventListener('click', reset);
$('start').addEventListener('click', () => {
  state.running = !state.running;
  engine.send({ type: state.running ? 'start' : 'pause' });
  redraw();
});
$('step').addEventListener('click', () => {
  state.running = false;
  engine.send({ type: 'step' });
  redraw();
});
$('boundary').addEventListener('click', (e) => {
  if (!state.ready) return;
  state.selected = pickSample($<HTMLCanvasElement>('boundary'), e, state.ready.extent, state.ready.train);
  engine.send({ type: 'select', sample: state.selected });
  redraw();
});

/** A read-only view of the page's state, for tests and for the curious (in the console). */
declare global {
  interface Window {
    playground: { snapshot(): unknown };
  }
}
window.playground = {
  snapshot: () => ({
    backend: state.ready?.backend ?? null,
    thread: state.ready?.thread ?? null,
    sizes: state.ready?.sizes ?? null,
    extent: state.ready?.extent ?? null,
    train: state.ready ? { x: Array.from(state.ready.train.x), y: Array.from(state.ready.train.y) } : null,
    selected: state.selected,
    running: state.running,
    epoch: state.progress?.epoch ?? 0,
    steps: state.progress?.steps ?? 0,
    trainLoss: state.progress?.trainLoss ?? null,
    testLoss: state.progress?.testLoss ?? null,
    testAccuracy: state.progress?.testAccuracy ?? null,
    gridSize: state.progress?.gridSize ?? 0,
    grid: state.progress ? Array.from(state.progress.grid) : null,
    step: state.step,
    errors: state.errors,
  }),
};

reset();
