import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, Generator, IndexError, ShapeError, nn, noGrad, ones, randn } from '../../src/index.js';
import { GRU, LSTM, RNN } from '../../src/nn/layers/rnn.js';
import { GRUCell, LSTMCell, RNNCell } from '../../src/nn/layers/rnn-cell.js';
import { assertClose, assertThrowsMatch, checkGrad, forEachBackend, ramp } from '../helpers.js';
import { TOL, loadFixture, t64 } from './layers-fixture.js';

const fx = loadFixture('rnn');

interface Case {
  state: Record<string, number[]>;
  x: number[];
  states: number[][];
  outs: number[][];
  gs: number[][];
  gradX: number[];
  gradStates: number[][];
  gradParams: Record<string, number[]>;
}

/**
 * Loads PyTorch's state dict by name, runs the module, and compares the outputs and the gradients of
 * Σ out ⊙ g with respect to the input, the initial states and every parameter (by name).
 */
function checkCase(m: nn.Module, f: Case, run: (x: Tensor, states: Tensor[]) => Tensor[]): void {
  m.loadStateDict(Object.fromEntries(Object.entries(f.state).map(([k, v]) => [k, t64(v as never)])));
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    Object.keys(f.gradParams),
  );
  const x = t64(f.x as never, true);
  const states = f.states.map((s) => t64(s as never, true));
  const outs = run(x, states);
  outs.forEach((o, i) => assertClose(o, f.outs[i] as never, TOL));
  outs
    .map((o, i) => o.mul(t64(f.gs[i] as never)).sum())
    .reduce((a, b) => a.add(b))
    .backward();
  assertClose(x.grad!, f.gradX as never, TOL);
  states.forEach((s, i) => assertClose(s.grad!, f.gradStates[i] as never, TOL));
  for (const [n, p] of m.namedParameters()) assertClose(p.grad!, f.gradParams[n] as never, TOL);
}

/** A function of (inputs…, parameters…) for gradcheck: the parameters are swapped in for the call. */
function withParams(m: nn.Module, nInputs: number, run: (...xs: Tensor[]) => Tensor | Tensor[]) {
  const names = m.namedParameters().map(([n]) => n);
  const fn = (...args: Tensor[]) => {
    const self = m as unknown as Record<string, Tensor>;
    const saved = names.map((n) => self[n]);
    names.forEach((n, i) => (self[n] = args[nInputs + i]));
    try {
      return run(...args.slice(0, nInputs));
    } finally {
      names.forEach((n, i) => (self[n] = saved[i]));
    }
  };
  return { fn, params: m.parameters() as Tensor[] };
}

const f64 = { dtype: 'float64' as const, generator: new Generator(5) };

forEachBackend('recurrent cells', () => {
  it('RNNCell (tanh and relu) matches PyTorch: output and all gradients', () => {
    const tanhCell = new RNNCell(3, 4, { dtype: 'float64' });
    checkCase(tanhCell, fx.rnnCellTanh, (x, [h]) => [tanhCell.forward(x, h)]);
    const reluCell = new RNNCell(3, 4, { nonlinearity: 'relu', dtype: 'float64' });
    checkCase(reluCell, fx.rnnCellRelu, (x, [h]) => [reluCell.forward(x, h)]);
  });

  it('LSTMCell matches PyTorch, batched with [h, c] and unbatched without state', () => {
    const cell = new LSTMCell(3, 4, { dtype: 'float64' });
    checkCase(cell, fx.lstmCell, (x, [h, c]) => cell.forward(x, [h, c]));
    const cell2 = new LSTMCell(3, 4, { dtype: 'float64' });
    checkCase(cell2, fx.lstmCellUnbatched, (x) => cell2.forward(x));
  });

  it('GRUCell matches PyTorch (r, z, n gates; b_hn inside the reset gate), with and without bias', () => {
    const cell = new GRUCell(3, 4, { dtype: 'float64' });
    checkCase(cell, fx.gruCell, (x, [h]) => [cell.forward(x, h)]);
    const noBias = new GRUCell(3, 4, { bias: false, dtype: 'float64' });
    assert.equal(noBias.bias_ih, null);
    checkCase(noBias, fx.gruCellUnbatchedNoBias, (x) => [noBias.forward(x)]);
  });

  it('cells: gradcheck in float64 for input, state and parameters', () => {
    const x = ramp([2, 3]);
    const h = ramp([2, 2], -0.5, 0.5);
    const c = ramp([2, 2], -0.3, 0.7);
    for (const nl of ['tanh', 'relu'] as const) {
      const cell = new RNNCell(3, 2, { nonlinearity: nl, ...f64 });
      const { fn, params } = withParams(cell, 2, (a, b) => cell.forward(a, b));
      checkGrad(fn, [x, h, ...params]);
    }
    const lstm = new LSTMCell(3, 2, f64);
    const l = withParams(lstm, 3, (a, b, d) => lstm.forward(a, [b, d]));
    checkGrad(l.fn, [x, h, c, ...l.params]);
    const gru = new GRUCell(3, 2, f64);
    const g = withParams(gru, 2, (a, b) => gru.forward(a, b));
    checkGrad(g.fn, [x, h, ...g.params]);
  });

  it('cells: PyTorch names, shapes and init U(−1/√H, 1/√H); seeded', () => {
    const cell = new LSTMCell(5, 16, { generator: new Generator(1) });
    assert.deepEqual(
      cell.namedParameters().map(([n, p]) => [n, [...p.shape]]),
      [
        ['weight_ih', [64, 5]],
        ['weight_hh', [64, 16]],
        ['bias_ih', [64]],
        ['bias_hh', [64]],
      ],
    );
    const all = cell.parameters().flatMap((p) => Array.from(p.dataSync()));
    assert.ok(all.every((v) => Math.abs(v) <= 0.25));
    assert.ok(Math.max(...all) > 0.2 && Math.min(...all) < -0.2);
    assertClose(new LSTMCell(5, 16, { generator: new Generator(1) }).weight_hh, cell.weight_hh);
    assert.equal(
      String(new RNNCell(2, 3, { nonlinearity: 'relu', bias: false })),
      'RNNCell(2, 3, bias=false, nonlinearity=relu)',
    );
  });

  it('cells: clear errors for bad sizes, dims, states and dtypes', () => {
    const cell = new GRUCell(3, 4);
    assertThrowsMatch(() => cell.forward(ones([2, 5])), ShapeError, /^GRUCell: /, /\[2,5\]/, /3/);
    assertThrowsMatch(() => cell.forward(ones([1, 2, 3])), ShapeError, /^GRUCell: .*1-D or 2-D/);
    assertThrowsMatch(
      () => cell.forward(ones([2, 3]), ones([3, 4])),
      ShapeError,
      /^GRUCell: .*\[2,4\].*\[3,4\]/,
    );
    assertThrowsMatch(() => cell.forward(ones([3]), ones([1, 4])), ShapeError, /^GRUCell: .*\[4\]/);
    assertThrowsMatch(
      () => cell.forward(ones([2, 3], { dtype: 'float64' })),
      DTypeError,
      /^GRUCell: .*float64.*float32/,
    );
    assertThrowsMatch(
      () => new RNNCell(2, 3, { nonlinearity: 'gelu' as never }),
      IndexError,
      /^RNNCell: .*gelu/,
    );
    assertThrowsMatch(() => new LSTMCell(2, 0), IndexError, /^LSTMCell: hiddenSize/);
    const lstm = new LSTMCell(3, 4);
    assertThrowsMatch(
      () => lstm.forward(ones([2, 3]), ones([2, 4]) as never),
      ShapeError,
      /^LSTMCell: .*pair/,
    );
  });
});

forEachBackend('recurrent layers', () => {
  it('RNN: 2 layers, bidirectional, given h0, and relu batchFirst without h0 match PyTorch', () => {
    const rnn = new RNN(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64' });
    checkCase(rnn, fx.rnnTanh2LayerBi, (x, [h0]) => rnn.forward(x, h0));
    const relu = new RNN(3, 4, { nonlinearity: 'relu', batchFirst: true, dtype: 'float64' });
    checkCase(relu, fx.rnnReluBatchFirst, (x) => relu.forward(x));
  });

  it('LSTM: 2 layers, bidirectional, batchFirst, given [h0, c0], and unbatched match PyTorch', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, dtype: 'float64' });
    checkCase(lstm, fx.lstm2LayerBiBatchFirst, (x, [h0, c0]) => {
      const [out, [h, c]] = lstm.forward(x, [h0, c0]);
      return [out, h, c];
    });
    const unb = new LSTM(3, 4, { numLayers: 2, dtype: 'float64' });
    checkCase(unb, fx.lstmUnbatched, (x) => {
      const [out, [h, c]] = unb.forward(x);
      assert.deepEqual([...out.shape, ...h.shape], [5, 4, 2, 4]);
      return [out, h, c];
    });
  });

  it('GRU: 2 layers bidirectional with h0, and without bias batchFirst match PyTorch', () => {
    const gru = new GRU(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64' });
    checkCase(gru, fx.gru2LayerBi, (x, [h0]) => gru.forward(x, h0));
    const nb = new GRU(3, 4, { bias: false, batchFirst: true, dtype: 'float64' });
    checkCase(nb, fx.gruNoBiasBatchFirst, (x) => nb.forward(x));
  });

  it('layers: gradcheck in float64 (bidirectional LSTM and GRU, 2-layer RNN)', () => {
    const x = ramp([3, 2, 2]);
    const h0 = ramp([2, 2, 2], -0.5, 0.5);
    const c0 = ramp([2, 2, 2], -0.2, 0.6);
    const lstm = new LSTM(2, 2, { bidirectional: true, ...f64 });
    const l = withParams(lstm, 3, (a, b, c) => {
      const [out, [h, cn]] = lstm.forward(a, [b, c]);
      return [out, h, cn];
    });
    checkGrad(l.fn, [x, h0, c0, ...l.params]);
    const gru = new GRU(2, 2, { bidirectional: true, batchFirst: true, ...f64 });
    const g = withParams(gru, 2, (a, b) => gru.forward(a, b));
    checkGrad(g.fn, [ramp([2, 3, 2]), h0, ...g.params]);
    const rnn = new RNN(2, 2, { numLayers: 2, ...f64 });
    const r = withParams(rnn, 2, (a, b) => rnn.forward(a, b));
    checkGrad(r.fn, [x, h0, ...r.params]);
  });

  it('layers: PyTorch parameter names in order, shapes, init bounds, printing', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, generator: new Generator(2) });
    const names = lstm.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    const expected: string[] = [];
    for (const l of [0, 1]) {
      for (const sfx of ['', '_reverse']) {
        const inp = l === 0 ? 3 : 8;
        expected.push(`weight_ih_l${l}${sfx}:16x${inp}`, `weight_hh_l${l}${sfx}:16x4`);
        expected.push(`bias_ih_l${l}${sfx}:16`, `bias_hh_l${l}${sfx}:16`);
      }
    }
    assert.deepEqual(names, expected);
    assert.ok(lstm.parameters().every((p) => Array.from(p.dataSync()).every((v) => Math.abs(v) <= 0.5)));
    assert.deepEqual(
      Object.keys(lstm.stateDict()),
      lstm.namedParameters().map(([n]) => n),
    );
    assert.equal(new GRU(2, 3, { bias: false }).parameters().length, 2);
    assert.equal(
      String(new RNN(2, 3, { numLayers: 2, nonlinearity: 'relu', batchFirst: true, bidirectional: true })),
      'RNN(2, 3, num_layers=2, nonlinearity=relu, batch_first=true, bidirectional=true)',
    );
  });

  it('layers: dropout between layers only, only in training, seeded', () => {
    const make = () =>
      new LSTM(3, 5, { numLayers: 2, dropout: 0.5, dtype: 'float64', generator: new Generator(7) });
    const x = randn([4, 2, 3], { dtype: 'float64', generator: new Generator(1) });
    const a = make();
    const b = make();
    const [ya] = a.forward(x);
    const [yb] = b.forward(x);
    assertClose(ya, yb); // same seed, same masks
    const [yc] = a.forward(x);
    assert.ok(Math.abs(yc.sub(ya).abs().sum().item() as number) > 1e-6, 'a new mask each call');
    a.eval();
    const [e1] = a.forward(x);
    const [e2] = a.forward(x);
    assertClose(e1, e2);
    const plain = new LSTM(3, 5, { numLayers: 2, dtype: 'float64' });
    plain.loadStateDict(a.stateDict());
    assertClose(plain.forward(x)[0], e1);
    // One layer: the dropout would come after the last layer, so there is none.
    const one = new GRU(3, 5, { dropout: 0.9, dtype: 'float64' });
    assertClose(one.forward(x)[0], one.forward(x)[0]);
  });

  it('layers: backprop through 2,000 time steps does not overflow the stack', () => {
    const gru = new GRU(2, 3, { dtype: 'float64', generator: new Generator(3) });
    const x = randn([2000, 1, 2], { dtype: 'float64', generator: new Generator(4), requiresGrad: true });
    const [out, h] = gru.forward(x);
    assert.deepEqual([...out.shape], [2000, 1, 3]);
    out.sum().add(h.sum()).backward();
    const gx = Array.from(x.grad!.dataSync());
    assert.ok(gx.every(Number.isFinite));
    assert.ok(gx.slice(-2).some((v) => v !== 0));
    assert.ok(Array.from(gru.parameters()[1].grad!.dataSync()).every(Number.isFinite));
  });

  it('layers: clear errors for bad input sizes, dims and state shapes', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2 });
    assertThrowsMatch(() => lstm.forward(ones([5, 2, 6])), ShapeError, /^LSTM: /, /\[5,2,6\]/, /3/);
    assertThrowsMatch(() => lstm.forward(ones([3])), ShapeError, /^LSTM: .*2-D.*3-D/);
    assertThrowsMatch(
      () => lstm.forward(ones([5, 2, 3]), [ones([1, 2, 4]), ones([2, 2, 4])]),
      ShapeError,
      /^LSTM: expected h0 of shape \[2,2,4\].*got \[1,2,4\]/,
    );
    assertThrowsMatch(
      () => lstm.forward(ones([5, 2, 3]), [ones([2, 2, 4]), ones([2, 3, 4])]),
      ShapeError,
      /^LSTM: expected c0/,
    );
    assertThrowsMatch(() => lstm.forward(ones([5, 2, 3]), ones([2, 2, 4]) as never), ShapeError, /pair/);
    const gru = new GRU(3, 4, { bidirectional: true });
    assertThrowsMatch(() => gru.forward(ones([5, 3]), ones([1, 4])), ShapeError, /^GRU: .*\[2,4\]/);
    assertThrowsMatch(() => gru.forward(ones([0, 2, 3])), ShapeError, /^GRU: .*non-empty/);
    assertThrowsMatch(
      () => gru.forward(ones([5, 2, 3], { dtype: 'float64' })),
      DTypeError,
      /^GRU: .*float64.*float32/,
    );
    assertThrowsMatch(() => new RNN(3, 4, { dropout: 2 }), IndexError, /^RNN: dropout/);
    assertThrowsMatch(() => new GRU(3, 4, { numLayers: 0 }), IndexError, /^GRU: numLayers/);
  });

  it('layers: a one-layer LSTM equals stepping an LSTMCell with the same weights', () => {
    const lstm = new LSTM(3, 4, { dtype: 'float64', generator: new Generator(8) });
    const cell = new LSTMCell(3, 4, { dtype: 'float64' });
    noGrad(() => {
      cell.weight_ih.copy_(lstm.stateDict().weight_ih_l0);
      cell.weight_hh.copy_(lstm.stateDict().weight_hh_l0);
      cell.bias_ih!.copy_(lstm.stateDict().bias_ih_l0);
      cell.bias_hh!.copy_(lstm.stateDict().bias_hh_l0);
    });
    const x = randn([6, 2, 3], { dtype: 'float64', generator: new Generator(9) });
    const [out, [hn, cn]] = lstm.forward(x);
    let state: [Tensor, Tensor] | undefined;
    for (let t = 0; t < 6; t++) {
      state = cell.forward(x.select(0, t), state);
      assertClose(out.select(0, t), state[0], { atol: 1e-12, rtol: 1e-12 });
    }
    assertClose(hn.select(0, 0), state![0]);
    assertClose(cn.select(0, 0), state![1]);
  });
});
