import assert from 'node:assert/strict';
import { it } from 'node:test';
import { arange, ones, scalar, tensor, zeros } from '../../src/index.js';
import { forEachBackend } from '../helpers.js';

// Expected strings are PyTorch's output for the same tensors, with JS spellings of booleans,
// dtypes and keywords (true, float64, requiresGrad, gradFn).
forEachBackend('toString', () => {
  it('pads numbers to one width, as PyTorch', () => {
    const t = tensor([
      [1, -2.5],
      [3, 4],
    ]);
    assert.equal(String(t), 'tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])');
    assert.equal(String(tensor([1, 2, 3])), 'tensor([1., 2., 3.])');
    assert.equal(String(tensor([1, -20, 300])), 'tensor([  1., -20., 300.])');
    assert.equal(String(tensor([1, -20, 300], { dtype: 'int32' })), 'tensor([  1, -20, 300])');
    assert.equal(String(tensor([true, false])), 'tensor([ true, false])');
    assert.equal(String(zeros([2])), 'tensor([0., 0.])');
  });

  it('prints 0-d tensors bare', () => {
    assert.equal(String(tensor(3.5)), 'tensor(3.5000)');
    assert.equal(String(scalar(2)), 'tensor(2.)');
    assert.equal(String(scalar(-7, 'int32')), 'tensor(-7)');
    assert.equal(String(scalar(true, 'bool')), 'tensor(true)');
  });

  it('nests higher dims with blank lines between blocks', () => {
    const t = arange(8, { dtype: 'float32' }).reshape([2, 2, 2]);
    assert.equal(
      String(t),
      'tensor([[[0., 1.],\n' +
        '         [2., 3.]],\n' +
        '\n' +
        '        [[4., 5.],\n' +
        '         [6., 7.]]])',
    );
  });

  it('switches to scientific notation for wide ranges and tiny values', () => {
    assert.equal(String(tensor([1e-5, 1])), 'tensor([1.0000e-05, 1.0000e+00])');
    assert.equal(
      String(tensor([1e9, -1], { dtype: 'float64' })),
      'tensor([ 1.0000e+09, -1.0000e+00], dtype=float64)',
    );
    assert.equal(String(tensor([0.5, 1234])), 'tensor([5.0000e-01, 1.2340e+03])');
    assert.equal(String(tensor([1, 1000])), 'tensor([   1., 1000.])');
    assert.equal(String(tensor([1, 10000])), 'tensor([1.0000e+00, 1.0000e+04])');
  });

  it('prints nan and inf, and negative zero', () => {
    assert.equal(String(tensor([1.5, NaN, Infinity, -Infinity])), 'tensor([1.5000,    nan,    inf,   -inf])');
    assert.equal(String(tensor([1, NaN])), 'tensor([1., nan])');
    assert.equal(String(tensor([NaN, 0])), 'tensor([nan, 0.])');
    assert.equal(String(tensor([-0, 1])), 'tensor([-0., 1.])');
  });

  it('rounds ties to even, as Python does', () => {
    assert.equal(
      String(tensor([1.03125, 2], { dtype: 'float64' })),
      'tensor([1.0312, 2.0000], dtype=float64)',
    );
    assert.equal(
      String(tensor([1.09375, 2], { dtype: 'float64' })),
      'tensor([1.0938, 2.0000], dtype=float64)',
    );
    assert.equal(String(tensor([123125, 1])), 'tensor([1.2312e+05, 1.0000e+00])');
  });

  it('wraps long rows at 80 columns', () => {
    assert.equal(
      String(arange(30, { dtype: 'float32' })),
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
        '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n' +
        '        28., 29.])',
    );
  });

  it('summarizes more than 1000 elements with ...', () => {
    assert.equal(String(arange(2000)), 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])');
    const row = '[0., 0., 0.,  ..., 0., 0., 0.]';
    const rows = [row, row, row, '...', row, row, row].join(',\n        ');
    assert.equal(String(zeros([100, 100])), `tensor([${rows}])`);
    // The style comes from the shown elements only: the hidden middle does not force sci mode.
    const v = new Float32Array(2000).fill(1);
    v[1000] = 1e-6;
    assert.equal(String(tensor(v)), 'tensor([1., 1., 1.,  ..., 1., 1., 1.])');
    assert.equal(
      String(arange(1001, { dtype: 'float32' }).div(1000)),
      'tensor([0.0000, 0.0010, 0.0020,  ..., 0.9980, 0.9990, 1.0000])',
    );
    // 1000 elements are still printed in full.
    assert.ok(!String(ones([1000])).includes('...'));
  });

  it('prints empty tensors with their size and non-default dtype', () => {
    assert.equal(String(tensor([])), 'tensor([])');
    assert.equal(String(zeros([0, 3])), 'tensor([], size=[0, 3])');
    assert.equal(String(zeros([0], { dtype: 'int32' })), 'tensor([], dtype=int32)');
  });

  it('adds dtype, requiresGrad and gradFn suffixes, wrapping them like PyTorch', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    assert.equal(String(x), 'tensor([1., 2.], dtype=float64, requiresGrad=true)');
    assert.equal(String(tensor([1], { requiresGrad: true })), 'tensor([1.], requiresGrad=true)');
    assert.equal(String(x.mul(2)), 'tensor([2., 4.], dtype=float64, gradFn=<mul>)');
    assert.equal(String(x.detach()), 'tensor([1., 2.], dtype=float64)');
    assert.equal(
      String(arange(12, { dtype: 'float64', requiresGrad: true })),
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.],\n' +
        '       dtype=float64, requiresGrad=true)',
    );
  });
});
