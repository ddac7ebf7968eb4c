import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { Generator, nn, randn, vision } from '../../src/index.js';
import { forEachBackend } from '../helpers.js';

forEachBackend('ResNet', () => {
  it('maps [N, 1, 28, 28] to [N, classes] through stages that halve the size', () => {
    const net = new vision.ResNet({
      widths: [4, 8],
      blocks: [1, 2],
      numClasses: 3,
      generator: new Generator(0),
    });
    const y = net.forward(randn([2, 1, 28, 28], { generator: new Generator(1) }));
    assert.deepEqual(y.shape, [2, 3]);
    const names = net.namedParameters().map(([n]) => n);
    assert.ok(names.includes('conv1.weight') && names.includes('fc.bias'));
    assert.ok(names.includes('layers.1.0.downsample.0.weight'), 'a projection where the stage starts');
    assert.ok(!names.includes('layers.1.1.downsample.0.weight'), 'identity shortcuts inside a stage');
    assert.ok(!names.includes('layers.0.0.downsample.0.weight'), 'no projection when nothing changes');
  });

  it('strides set where each stage downsamples; mismatched stage lists are refused', () => {
    const net = new vision.ResNet({ widths: [4, 8], strides: [2, 2], generator: new Generator(0) });
    const stem = net.bn1.forward(net.conv1.forward(randn([1, 1, 28, 28], { generator: new Generator(1) })));
    assert.deepEqual((net.layers.forward(stem) as Tensor).shape, [1, 8, 7, 7]);
    const names = net.namedParameters().map(([n]) => n);
    assert.ok(names.includes('layers.0.0.downsample.0.weight'), 'a strided first stage projects');
    assert.throws(
      () => new vision.ResNet({ widths: [4, 8], strides: [2] }),
      /ResNet: widths \[4, 8\], blocks \[1, 1\] and strides \[2\] should list one value per stage/,
    );
  });

  it('every parameter gets a gradient, and eval mode uses the running statistics', () => {
    const net = new vision.ResNet({ widths: [4, 8], numClasses: 2, generator: new Generator(0) });
    const x = randn([3, 1, 12, 12], { generator: new Generator(2) });
    const loss = new nn.CrossEntropyLoss().forward(
      net.forward(x),
      nn.functional.pad(x, [0, 0]).sum([1, 2, 3]).gt(0).to('int32'),
    );
    loss.backward();
    for (const [name, p] of net.namedParameters()) {
      assert.ok(p.grad, `${name} has a gradient`);
      assert.ok((p.grad.abs().sum().item() as number) > 0, `${name}'s gradient is not zero`);
    }
    net.eval();
    const a = net.forward(x.narrow(0, 0, 1)).dataSync();
    const b = net.forward(x).narrow(0, 0, 1).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b), 'eval output of a sample does not depend on the batch');
  });

  it('the shortcut carries the input: a block with zeroed convolutions is relu(x)', () => {
    const block = new vision.BasicBlock(2, 2, 1, { generator: new Generator(0) });
    block.conv2.weight.detach().zero_();
    const x = randn([1, 2, 5, 5], { generator: new Generator(3) });
    assert.deepEqual(Array.from(block.forward(x).dataSync()), Array.from(x.relu().dataSync()));
  });
});
