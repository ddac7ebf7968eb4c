import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { ChainruleError, IndexError, ShapeError, nn, ones, tensor, zeros } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend, ramp } from '../helpers.js';
import { TOL, loadFixture, t64 } from './layers-fixture.js';

const fx = loadFixture('layers');

class Net extends nn.Module {
  layers = new nn.ModuleList([new nn.Linear(2, 3), new nn.Linear(3, 3)]);
  norm = new nn.BatchNorm1d(3);
  drop = new nn.Dropout(0.5);
  head = new nn.Sequential(new nn.ReLU(), new nn.Linear(3, 1));

  forward(x: Tensor): Tensor {
    for (const l of this.layers) x = l.forward(x);
    return this.head.forward(this.drop.forward(this.norm.forward(x)));
  }
}

/** PyTorch's Sequential(Linear(4, 8), BatchNorm1d(8), ReLU(), Linear(8, 3)). */
function torchModel(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));
}

function linearAt(seq: nn.Sequential, i: number): nn.Linear {
  return seq.at(i) as nn.Linear;
}

/** The fixture's PyTorch state dict (name → {shape, dtype, values}) as tensors. */
function torchStateDict(): Record<string, Tensor> {
  const sd: Record<string, Tensor> = {};
  for (const [k, e] of Object.entries<any>(fx.model.stateDict)) {
    sd[k] = tensor(e.values, { shape: e.shape, dtype: e.dtype });
  }
  return sd;
}

forEachBackend('nn.Module API', () => {
  it('names parameters like PyTorch, in registration order', () => {
    const net = new Net();
    assert.deepEqual(
      net.namedParameters().map(([n]) => n),
      [
        'layers.0.weight',
        'layers.0.bias',
        'layers.1.weight',
        'layers.1.bias',
        'norm.weight',
        'norm.bias',
        'head.1.weight',
        'head.1.bias',
      ],
    );
    const [, p] = net.namedParameters()[3];
    assert.equal(p, net.layers.at(1).bias);
    assert.equal(net.layers[1], net.layers.at(-1));
    assert.deepEqual(
      net.parameters().map((q) => q.shape),
      net.namedParameters().map(([, q]) => q.shape),
    );
    const nested = new nn.Sequential(new nn.Sequential(new nn.Linear(1, 1)), new nn.Linear(1, 2));
    assert.deepEqual(
      nested.namedParameters().map(([n]) => n),
      ['0.0.weight', '0.0.bias', '1.weight', '1.bias'],
    );
  });

  it('children, modules and named modules', () => {
    const net = new Net();
    assert.deepEqual(
      net.namedChildren().map(([n]) => n),
      ['layers', 'norm', 'drop', 'head'],
    );
    assert.equal(net.children()[1], net.norm);
    assert.deepEqual(
      net.namedModules().map(([n, m]) => `${n}:${m.constructor.name}`),
      [
        ':Net',
        'layers:ModuleList',
        'layers.0:Linear',
        'layers.1:Linear',
        'norm:BatchNorm1d',
        'drop:Dropout',
        'head:Sequential',
        'head.0:ReLU',
        'head.1:Linear',
      ],
    );
    assert.equal(net.modules().length, 9);
    // A module used twice is listed once, and so are its parameters.
    const shared = new nn.Linear(2, 2);
    const seq = new nn.Sequential(shared, new nn.ReLU(), shared);
    assert.equal(seq.modules().length, 3);
    assert.equal(seq.parameters().length, 2);
  });

  it('train() and eval() reach every submodule', () => {
    const net = new Net();
    assert.ok(net.modules().every((m) => m.training));
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    const x = ramp([4, 2], -1, 1, false).float();
    // Eval: dropout is off and batch norm uses running stats, so two calls agree.
    assertClose(net.forward(x), net.forward(x));
    net.train();
    assert.ok(net.drop.training && net.head.at(0).training);
  });

  it('zeroGrad clears gradients; apply visits every module, children first', () => {
    const net = new Net();
    net
      .forward(ramp([4, 2], -1, 1, false).float())
      .sum()
      .backward();
    assert.ok(net.parameters().every((p) => p.grad !== null));
    net.zeroGrad(false);
    assert.ok(net.parameters().every((p) => p.grad !== null && p.grad.abs().sum().item() === 0));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));

    const order: string[] = [];
    net.head.apply((m) => order.push(m.constructor.name));
    assert.deepEqual(order, ['ReLU', 'Linear', 'Sequential']);
    net.apply((m) => {
      if (m instanceof nn.Linear) nn.init.zeros(m.weight);
    });
    assert.equal(net.layers.at(0).weight.abs().sum().item(), 0);
  });

  it('stateDict has parameters and persistent buffers under PyTorch keys', () => {
    const model = torchModel();
    assert.deepEqual(Object.keys(model.stateDict()), fx.model.keys);
    const net = new Net();
    assert.deepEqual(
      Object.keys(net.stateDict()).filter((k) => k.startsWith('norm.')),
      ['norm.weight', 'norm.bias', 'norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked'],
    );
    assert.deepEqual(
      net.namedBuffers().map(([n]) => n),
      ['norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked'],
    );
    assert.equal(net.stateDict()['norm.num_batches_tracked'].dtype, 'int32');
  });

  it('loads a state dict written by PyTorch and matches its output, in eval and train mode', () => {
    const model = torchModel().double();
    const res = model.loadStateDict(torchStateDict());
    assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
    assert.equal((model.at(1) as nn.BatchNorm1d).numBatchesTracked!.item(), 3);
    model.eval();
    const x = t64(fx.model.x);
    assertClose(model.forward(x), fx.model.outEval, TOL);
    model.train();
    assertClose(model.forward(x), fx.model.outTrain, TOL);
    assertClose((model.at(1) as nn.BatchNorm1d).runningMean!, fx.model.runningMeanAfterTrain, TOL);
    // A float32 model loads the same float64 values (converted).
    const f32 = torchModel();
    f32.loadStateDict(torchStateDict());
    assert.equal(linearAt(f32, 0).weight.dtype, 'float32');
    assertClose(f32.eval().forward(x.float()), fx.model.outEval, { atol: 1e-4, rtol: 1e-4 });
  });

  it('loadStateDict reports missing, unexpected and wrongly shaped entries', () => {
    const model = torchModel();
    const sd = torchStateDict();
    const { ['0.bias']: _dropped, ...missing } = sd;
    assertThrowsMatch(
      () => model.loadStateDict(missing),
      nn.StateDictError,
      /^loadStateDict: /,
      /missing keys: "0\.bias"/,
    );
    assertThrowsMatch(
      () => model.loadStateDict({ ...sd, 'extra.weight': ones([1]) }),
      nn.StateDictError,
      /unexpected keys: "extra\.weight"/,
    );
    assertThrowsMatch(
      () => model.loadStateDict({ ...sd, '0.weight': zeros([8, 5]) }),
      nn.StateDictError,
      /size mismatch for 0\.weight: .*\[8,5\].*\[8,4\]/,
    );
    // Nothing was loaded by the failed attempts.
    assert.notEqual(linearAt(model, 0).weight.abs().sum().item(), 0);
    const res = model.loadStateDict({ ...missing, 'extra.weight': ones([1]) }, { strict: false });
    assert.deepEqual(res, { missingKeys: ['0.bias'], unexpectedKeys: ['extra.weight'] });
    assertClose(linearAt(model, 3).weight, sd['3.weight']);
    assertThrowsMatch(
      () => model.loadStateDict({ '0.weight': zeros([8, 5]) }, { strict: false }),
      nn.StateDictError,
      /size mismatch/,
    );
  });

  it('to(dtype), double() and float() convert parameters and float buffers in place', () => {
    const model = torchModel();
    const w = linearAt(model, 0).weight;
    const before = w.to('float64');
    model.to('float64');
    assert.equal(linearAt(model, 0).weight, w);
    assert.equal(w.dtype, 'float64');
    assertClose(w, before);
    assert.ok(model.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad));
    const bn = model.at(1) as nn.BatchNorm1d;
    assert.equal(bn.runningVar!.dtype, 'float64');
    assert.equal(bn.numBatchesTracked!.dtype, 'int32');
    model.float();
    assert.ok(model.parameters().every((p) => p.dtype === 'float32'));
  });

  it('prints like PyTorch (with JavaScript literals) and summarizes parameter counts', () => {
    const model = torchModel();
    const expected = String(fx.model.repr).replace(/True/g, 'true').replace('1e-05', '0.00001');
    assert.equal(model.toString(), expected);
    assert.equal(String(new nn.ReLU()), 'ReLU()');
    assert.equal(String(new nn.LeakyReLU()), 'LeakyReLU(negative_slope=0.01)');
    assert.equal(String(new nn.Softmax(-1)), 'Softmax(dim=-1)');
    assert.equal(String(new nn.Embedding(10, 3, { paddingIdx: 0 })), 'Embedding(10, 3, padding_idx=0)');
    assert.equal(String(new nn.LayerNorm(4)), 'LayerNorm([4], eps=0.00001, elementwise_affine=true)');
    const s = model.summary();
    assert.match(s, /^0\s+Linear\s+40$/m);
    assert.match(s, /^1\s+BatchNorm1d\s+16$/m);
    assert.match(s, /^3\s+Linear\s+27$/m);
    assert.match(s, /total parameters: 83 \(trainable: 83\)/);
    model.at(0).requiresGrad_(false);
    assert.match(model.summary(), /total parameters: 83 \(trainable: 43\)/);
  });
});

forEachBackend('nn containers', () => {
  it('Sequential: positional and named, at/length/append/slice/iteration', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh());
    assert.equal(seq.length, 2);
    seq.append(new nn.Linear(4, 1));
    assert.equal(seq.length, 3);
    assert.ok(seq.at(-1) instanceof nn.Linear);
    assert.deepEqual(
      [...seq].map((m) => m.constructor.name),
      ['Linear', 'Tanh', 'Linear'],
    );
    const x = ramp([5, 2], -1, 1, false).float();
    const manual = seq.at(2).forward(seq.at(1).forward(seq.at(0).forward(x)));
    assertClose(seq.forward(x), manual);
    assertClose(seq.slice(1).forward(seq.at(0).forward(x)), manual);
    assert.deepEqual(
      seq
        .slice(1)
        .namedParameters()
        .map(([n]) => n),
      ['2.weight', '2.bias'],
    );

    const named = new nn.Sequential({
      fc: new nn.Linear(2, 2),
      act: new nn.ReLU(),
      out: new nn.Linear(2, 1),
    });
    assert.deepEqual(
      named.namedParameters().map(([n]) => n),
      ['fc.weight', 'fc.bias', 'out.weight', 'out.bias'],
    );
    assertThrowsMatch(() => seq.at(3), IndexError, /^Sequential\.at: index 3/);
    assertThrowsMatch(() => new nn.Sequential({ training: new nn.ReLU() }), ChainruleError, /clashes/);
    assertThrowsMatch(
      () => new nn.Sequential({ 'a.b': new nn.ReLU() }),
      ChainruleError,
      /cannot contain '\.'/,
    );
  });

  it('ModuleList: append, extend, insert, index access, iteration; no forward', () => {
    const list = new nn.ModuleList<nn.Linear>();
    list.append(new nn.Linear(1, 1)).extend([new nn.Linear(1, 2), new nn.Linear(2, 3)]);
    assert.equal(list.length, 3);
    assert.deepEqual(
      [...list].map((l) => l.outFeatures),
      [1, 2, 3],
    );
    const first = new nn.Linear(5, 5);
    list.insert(0, first);
    assert.equal(list[0], first);
    assert.equal(list.at(3).outFeatures, 3);
    assert.deepEqual(
      list.namedParameters().map(([n]) => n),
      ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias', '3.weight', '3.bias'],
    );
    assertThrowsMatch(() => list.forward(), ChainruleError, /^ModuleList: has no forward/);
  });

  it('ModuleDict: set, get, has, delete, keys in insertion order', () => {
    const d = new nn.ModuleDict<nn.Module>({ encoder: new nn.Linear(2, 3), decoder: new nn.Linear(3, 2) });
    d.set('act', new nn.ReLU());
    assert.deepEqual(d.keys(), ['encoder', 'decoder', 'act']);
    assert.deepEqual([...d], d.keys());
    assert.equal(d.size, 3);
    assert.ok(d.has('act') && !d.has('nope'));
    assert.deepEqual(
      d.namedParameters().map(([n]) => n),
      ['encoder.weight', 'encoder.bias', 'decoder.weight', 'decoder.bias'],
    );
    assert.ok(d.delete('act') instanceof nn.ReLU);
    assert.equal(d.size, 2);
    assertThrowsMatch(() => d.get('act'), IndexError, /no module named 'act'/);
    assertThrowsMatch(() => d.set('forward', new nn.ReLU()), ChainruleError, /clashes/);
  });

  it('Residual: x + block(x), a projection when shapes change, gradients through both paths', () => {
    const block = new nn.Sequential(new nn.Linear(3, 3), new nn.Tanh());
    const res = new nn.Residual(block);
    const x = ramp([4, 3]);
    const out = res.forward(x.float());
    assertClose(out, x.float().add(block.forward(x.float())));
    assert.deepEqual(
      res.namedParameters().map(([n]) => n),
      ['block.0.weight', 'block.0.bias'],
    );
    const down = new nn.Residual(new nn.Linear(3, 2), new nn.Linear(3, 2, { bias: false }));
    assert.deepEqual(down.forward(x.float()).shape, [4, 2]);
    down.forward(x.float()).sum().backward();
    assert.ok(down.parameters().every((p) => p.grad !== null));
    assertThrowsMatch(
      () => new nn.Residual(new nn.Linear(3, 2)).forward(x.float()),
      ShapeError,
      /^Residual: .*\[4,2\].*\[4,3\].*projection/,
    );
  });
});
