/**
 * `npm run bench`: sgemm and training throughput of chainrule's backends beside TensorFlow.js
 * (cpu, wasm) and PyTorch CPU, a printed table and bench/results/<date>.json. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import * as cr from '../src/index.node.js';
import * as crw from './chainrule.js';
import type { BenchOptions } from './config.js';
import { USAGE, parseArgs } from './config.js';
import { now } from './measure.js';
import type { TrainResult } from './measure.js';
import type { Cell, Column, MemRow, Row } from './report.js';
import { ratioSpecs, ratios, renderMemory, renderSection } from './report.js';
import * as tfjs from './tfjs.js';
import { runTorch } from './torch.js';

const CASES: Record<string, string> = { nn: 'A·B', tn: 'Aᵀ·B', nt: 'A·Bᵀ' };
const MLP_ROW = 'MLP 784-256-128-10 b128';
const SMALL_ROW = 'MLP 4-128-128-2 b32';
const CNN_ROW = 'CNN 28×28 b64';

const t0 = now();
const rows = new Map<string, Row>();
const cols: Column[] = [];
const memTimed: MemRow[] = [];
const notes: string[] = [];

function log(msg: string): void {
  process.stderr.write(`[${(now() - t0).toFixed(0).padStart(4)}s] ${msg}\n`);
}

function put(key: string, section: Row['section'], col: string, cell: Cell): void {
  let r = rows.get(key);
  if (!r)
    rows.set(key, (r = { key, section, unit: section === 'sgemm' ? 'GFLOP/s' : 'samples/s', cells: {} }));
  r.cells[col] = cell;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Runs one workload for a column; an exception becomes 'n/a' cells instead of ending the run. */
async function attempt(
  label: string,
  what: string,
  fn: () => Promise<void>,
  fail: (why: string) => void,
): Promise<void> {
  try {
    await fn();
    log(`${label}: ${what} done`);
  } catch (e) {
    log(`${label}: ${what} failed: ${errText(e)}`);
    fail(`failed: ${errText(e)}`);
  }
}

function gemmKeys(o: BenchOptions): string[] {
  return o.gemm.sizes.flatMap((n) => o.gemm.cases.map((c) => `sgemm ${n} ${CASES[c]}`));
}

function putGemm(col: string, rs: crw.GemmRow[]): void {
  for (const r of rs) put(`sgemm ${r.n} ${CASES[r.case]}`, 'sgemm', col, { value: r.gflops });
}

function putTrain(col: string, label: string, key: string, r: TrainResult): void {
  put(key, 'training', col, { value: r.samplesPerSec, steps: r.steps, loss: r.loss });
  if (key === MLP_ROW) memTimed.push({ engine: label, before: r.rssBefore, after: r.rssAfter });
}

/** The workloads of one engine, as it runs them. */
interface Engine {
  gemm(): crw.GemmRow[] | Promise<crw.GemmRow[]>;
  train(s: BenchOptions['mlp']): TrainResult | Promise<TrainResult>;
  /** A reason instead of a function: the engine cannot run the CNN in reasonable time. */
  cnn: ((s: BenchOptions['cnn']) => TrainResult | Promise<TrainResult>) | { na: string };
}

/** Every workload asked for, on one column (a backend at a thread count, or a peer). */
async function workloads(o: BenchOptions, col: Column, e: Engine): Promise<void> {
  const mark = (keys: string[], section: Row['section']) => (why: string) => {
    for (const k of keys) if (!rows.get(k)?.cells[col.id]) put(k, section, col.id, { na: why });
  };
  if (o.only.includes('gemm')) {
    await attempt(col.label, 'gemm', async () => putGemm(col.id, await e.gemm()), mark(gemmKeys(o), 'sgemm'));
  }
  for (const [w, key] of [
    ['mlp', MLP_ROW],
    ['small', SMALL_ROW],
  ] as const) {
    if (!o.only.includes(w)) continue;
    const s = w === 'mlp' ? o.mlp : o.small;
    const run = async () => putTrain(col.id, col.label, key, await e.train(s));
    await attempt(col.label, w, run, mark([key], 'training'));
  }
  if (o.only.includes('cnn')) {
    const cnn = e.cnn;
    if (typeof cnn !== 'function') {
      put(CNN_ROW, 'training', col.id, cnn);
      log(`${col.label}: cnn ${cnn.na}`);
    } else {
      const run = async () => putTrain(col.id, col.label, CNN_ROW, await cnn(o.cnn));
      await attempt(col.label, 'cnn', run, mark([CNN_ROW], 'training'));
    }
  }
}

function markAll(o: BenchOptions, col: string, why: string): void {
  if (o.only.includes('gemm')) for (const k of gemmKeys(o)) put(k, 'sgemm', col, { na: why });
  if (o.only.includes('mlp')) put(MLP_ROW, 'training', col, { na: why });
  if (o.only.includes('small')) put(SMALL_ROW, 'training', col, { na: why });
  if (o.only.includes('cnn')) put(CNN_ROW, 'training', col, { na: why });
}

/** chainrule's backends: every registered one (or --backend's), at 1 thread and at all cores. */
async function chainrule(o: BenchOptions, cores: number): Promise<Record<string, unknown>> {
  const registered = cr.listBackends();
  const wanted = o.backends ?? [...new Set(['js', 'wasm', ...registered])];
  const info: Record<string, unknown> = { registered };
  for (const b of wanted) {
    if (b === 'webgpu') {
      info.webgpu = await webgpu(o);
      continue;
    }
    if (!registered.includes(b)) {
      cols.push({ id: `cr-${b}`, label: b, side: 'chainrule', threads: null });
      markAll(o, `cr-${b}`, `backend '${b}' is not registered (not built yet?)`);
      continue;
    }
    let ctl: crw.ThreadControl | null;
    try {
      ctl = crw.threadControl(b);
    } catch (e) {
      cols.push({ id: `cr-${b}`, label: b, side: 'chainrule', threads: null });
      markAll(o, `cr-${b}`, `setBackend('${b}') failed: ${errText(e)}`);
      continue;
    }
    info[b] = ctl ? { threads: `1..${ctl.max}`, via: ctl.via, default: ctl.get() } : { threads: 'fixed' };
    if (!ctl && b !== 'js') notes.push(`chainrule ${b}: no thread setting found; it ran with its default`);
    const counts = ctl ? [...new Set([1, cores])] : [b === 'js' ? 1 : null];
    const initial = ctl?.get();
    for (const t of counts) {
      const col: Column = {
        id: `cr-${b}${t === null ? '' : `-${t}t`}`,
        label: ctl ? `${b} ${t}t` : b,
        side: 'chainrule',
        threads: t,
      };
      cols.push(col);
      cr.setBackend(b);
      if (ctl && t !== null) ctl.set(t);
      await workloads(o, col, { gemm: () => crw.gemm(o.gemm), train: crw.train, cnn: crw.trainCnn });
    }
    if (ctl && initial !== undefined && Number.isFinite(initial)) ctl.set(initial);
  }
  return info;
}

/** The WebGPU column (only when --backend asks for it: it needs a browser where Node has no adapter). */
async function webgpu(o: BenchOptions): Promise<Record<string, unknown>> {
  const col: Column = { id: 'cr-webgpu', label: 'webgpu', side: 'chainrule', threads: null };
  cols.push(col);
  log('webgpu: running its workloads');
  try {
    const r = await crw.webgpuRows(o);
    const keys = { mlp: MLP_ROW, small: SMALL_ROW, cnn: CNN_ROW };
    for (const row of r.rows) {
      if (row.workload === 'gemm') {
        if (row.error && row.n === undefined)
          markAll({ ...o, only: ['gemm'] }, col.id, `failed: ${row.error}`);
        else if (row.error) put(`sgemm ${row.n} ${CASES[row.case!]}`, 'sgemm', col.id, { na: row.error });
        else putGemm(col.id, [{ n: row.n!, case: row.case!, gflops: row.gflops! }]);
      } else if (row.error) put(keys[row.workload], 'training', col.id, { na: `failed: ${row.error}` });
      else {
        const cell = { value: row.samplesPerSec!, steps: row.steps!, loss: row.loss ?? null };
        put(keys[row.workload], 'training', col.id, cell);
      }
    }
    notes.push(
      `chainrule webgpu: measured in ${r.where} on ${r.adapter}` +
        (r.cpu ? ' (a CPU adapter, SwiftShader: smoke figures of the path, not GPU performance)' : ''),
    );
    log('webgpu: done');
    return { where: r.where, adapter: r.adapter, cpu: r.cpu };
  } catch (e) {
    markAll(o, col.id, `n/a: ${errText(e)}`);
    log(`webgpu: ${errText(e)}`);
    return { error: errText(e) };
  }
}

async function tfPeer(o: BenchOptions): Promise<Record<string, unknown>> {
  const info = await tfjs.loadTfjs();
  for (const b of ['cpu', 'wasm']) {
    const col: Column = { id: `tfjs-${b}`, label: `tfjs ${b}`, side: 'peer', threads: 1 };
    cols.push(col);
    if ('error' in info) markAll(o, col.id, info.error);
    else if (!info.backends.includes(b)) markAll(o, col.id, `tfjs ${b} backend failed to initialize`);
    else {
      const skip = tfjs.cnnSkipped(b);
      await workloads(o, col, {
        gemm: () => tfjs.gemm(b, o.gemm),
        train: (s) => tfjs.train(b, s),
        cnn: skip ? { na: skip } : (s) => tfjs.trainCnn(b, s),
      });
    }
  }
  if (!('error' in info)) notes.push(`TensorFlow.js ${info.version}`, ...info.notes);
  return info as unknown as Record<string, unknown>;
}

function torchPeer(o: BenchOptions, cores: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of [...new Set([1, cores])]) {
    const col: Column = { id: `torch-${t}t`, label: `torch ${t}t`, side: 'peer', threads: t };
    cols.push(col);
    log(`${col.label}: running bench/torch_bench.py`);
    const r = runTorch(t, o);
    out.push({ threads: t, ...r });
    if ('error' in r) {
      markAll(o, col.id, r.error);
      continue;
    }
    if (r.gemm) putGemm(col.id, r.gemm);
    for (const [res, key] of [
      [r.mlp, MLP_ROW],
      [r.small, SMALL_ROW],
      [r.cnn, CNN_ROW],
    ] as const) {
      if (res) put(key, 'training', col.id, { value: res.samplesPerSec, steps: res.steps, loss: res.loss });
    }
    if (t === 1) {
      const blas = r.blas.join(', ') || 'none found';
      const ref = r.blas.some((p) => /\/blas\/libblas\.so/.test(p));
      notes.push(
        `PyTorch ${r.version}, BLAS: ${blas}` +
          (ref ? ' (the reference BLAS: install OpenBLAS for realistic PyTorch GEMM figures)' : ''),
      );
    }
  }
  return out;
}

/** The long memory loop of one backend, in a fresh process so that RSS starts from a clean slate. */
function memoryLoop(o: BenchOptions, backend: string): Record<string, unknown> {
  const args = [process.argv[1], '--mem-child', backend, '--mem-steps', String(o.memLoop.steps)];
  args.push('--mem-time', String(o.memLoop.maxTime), '--mem-epoch', String(o.memLoop.epochSteps));
  if (o.quick) args.push('--quick');
  log(`${backend}: long MLP loop (${o.memLoop.steps} steps at most, ${o.memLoop.maxTime} s at most)`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH_MEM '));
  if (r.status !== 0 || !line) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop() ?? '';
    return { backend, error: `failed (${why.slice(0, 100)})` };
  }
  return { backend, ...(JSON.parse(line.slice('BENCH_MEM '.length)) as object) };
}

function memChild(argv: string[]): void {
  const i = argv.indexOf('--mem-child');
  const backend = argv[i + 1];
  const o = parseArgs([...argv.slice(0, i), ...argv.slice(i + 2)]);
  cr.setBackend(backend);
  console.log(`BENCH_MEM ${JSON.stringify(crw.memoryLoop(o.memLoop, o.mlp))}`);
}

/** Whether this runtime validates a relaxed-SIMD instruction (f32x4.relaxed_madd). */
function relaxedSimd(): boolean {
  const v128 = (): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...v128(), ...v128(), ...v128(), 0xfd, 0x85, 0x02, 0x0b];
  const code = [0x01, body.length, ...body];
  const head = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b];
  return WebAssembly.validate(new Uint8Array([...head, 0x03, 0x02, 0x01, 0x00, 0x0a, code.length, ...code]));
}

function localDate(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(USAGE);
  if (argv.includes('--mem-child')) return memChild(argv);
  const o = parseArgs(argv);
  const cores = availableParallelism();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores,
    node: process.version,
    v8: process.versions.v8,
    relaxedSimd: relaxedSimd(),
  };
  console.log(
    `chainrule bench ${localDate()}${o.quick ? ' (--quick)' : ''}: ${machine.cpu} × ${cores} cores, ` +
      `Node ${machine.node}, relaxed-SIMD ${machine.relaxedSimd ? 'available' : 'not available'}`,
  );
  const info: Record<string, unknown> = { chainrule: await chainrule(o, cores) };
  if (!o.backends?.includes('webgpu')) {
    // Not run by default (it would need a browser here); say why there is no WebGPU column.
    const probe = await cr.probeWebGPU();
    notes.push(
      probe.ok
        ? 'chainrule webgpu: an adapter exists in Node; not run by default (--backend webgpu)'
        : 'chainrule webgpu: n/a: no WebGPU adapter in Node (--backend webgpu measures it in headless Chromium)',
    );
  }
  if (o.peers) {
    info.tfjs = await tfPeer(o);
    info.torch = torchPeer(o, cores);
  } else notes.push('peers skipped (--no-peers)');
  const loops: Record<string, unknown>[] = [];
  if (o.mem && o.only.includes('mlp')) {
    const registered = cr.listBackends();
    // The long loop reads synchronously in a child process: not for webgpu.
    for (const b of o.backends ?? registered) {
      if (registered.includes(b) && b !== 'webgpu') loops.push(memoryLoop(o, b));
    }
  }

  const all = [...rows.values()];
  const out = [
    renderSection(
      'sgemm float32',
      all.filter((r) => r.section === 'sgemm'),
      cols,
      cores,
    ),
    renderSection(
      'Training throughput',
      all.filter((r) => r.section === 'training'),
      cols,
      cores,
    ),
    renderMemory(memTimed, loops),
    notes.map((n) => `note: ${n}`).join('\n'),
  ];
  console.log('\n' + out.filter((s) => s.length > 0).join('\n\n'));

  const specs = ratioSpecs(cols, cores);
  const file = join(o.outDir, `${localDate()}${o.quick ? '-quick' : ''}.json`);
  const json = {
    date: new Date().toISOString(),
    machine,
    options: { quick: o.quick, only: o.only, backends: o.backends, peers: o.peers, argv },
    settings: { gemm: o.gemm, mlp: o.mlp, small: o.small, cnn: o.cnn, memLoop: o.memLoop },
    columns: cols,
    rows: all.map((r) => ({ ...r, ratios: ratios(r, cols, specs) })),
    memory: { timedMlp: memTimed, longLoop: loops },
    info,
    notes,
    seconds: now() - t0,
  };
  mkdirSync(o.outDir, { recursive: true });
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  console.log(`\nwrote ${file} (${(now() - t0).toFixed(0)} s)`);
}

main().then(
  // Worker threads of a multi-threaded backend must not keep the process alive.
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
