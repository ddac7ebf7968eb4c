// Elementwise kernels: binary ops on strided 2-D operands (stride 0 = broadcast), unary maps, fill, copy.
// Loops run 4 lanes at a time; unary maps finish with one partial vector, so that tails get exactly the
// same results as the body.
import { get, set, i32, forLoop, locals, loadTail, storeTail, dispatch } from './wat.mjs';
import { mathLocals, exp, log, tanh, sigmoid, erf } from './math.mjs';

/** Binary op codes (contract order) with their vector and scalar instructions. */
const BINARY = [
  ['add', 'f32x4.add', 'f32.add'],
  ['sub', 'f32x4.sub', 'f32.sub'],
  ['mul', 'f32x4.mul', 'f32.mul'],
  ['div', 'f32x4.div', 'f32.div'],
  // Wasm's min/max propagate NaN like torch.maximum/minimum.
  ['maximum', 'f32x4.max', 'f32.max'],
  ['minimum', 'f32x4.min', 'f32.min'],
  // Comparisons as 1.0/0.0 floats: the lane mask ANDed with 1.0 (scalar: a select).
  ...[
    ['eq', 'eq'],
    ['ne', 'ne'],
    ['lt', 'lt'],
    ['le', 'le'],
    ['gt', 'gt'],
    ['ge', 'ge'],
  ].map(([name, cmp]) => [name, `CMP f32x4.${cmp}`, `CMP f32.${cmp}`]),
  // ReLU's backward (not a tensor op): 0 where b <= 0, else a (PyTorch's threshold_backward: 0 there
  // also for an infinite or NaN gradient, which a product with a 0/1 mask would make NaN; a NaN b
  // passes a through).
  [
    'relu_grad',
    (a, b) => `(v128.andnot ${a} (f32x4.le ${b} (v128.const f32x4 0 0 0 0)))`,
    (a, b) => `(select (f32.const 0) ${a} (f32.le ${b} (f32.const 0)))`,
  ],
];

/** Unary op codes (contract order): each maps the v128 expression `x` into local `out`. */
const UNARY = [
  ['neg', (_v, x, out) => set(out, `(f32x4.neg ${x})`)],
  ['abs', (_v, x, out) => set(out, `(f32x4.abs ${x})`)],
  ['sqrt', (_v, x, out) => set(out, `(f32x4.sqrt ${x})`)],
  // max(x, 0) keeps NaN as NaN (as torch.relu does).
  ['relu', (_v, x, out) => set(out, `(f32x4.max ${x} (v128.const f32x4 0 0 0 0))`)],
  ['exp', exp],
  ['log', log],
  ['tanh', tanh],
  ['sigmoid', sigmoid],
  ['reciprocal', (_v, x, out) => set(out, `(f32x4.div (v128.const f32x4 1 1 1 1) ${x})`)],
  ['erf', erf],
];

export const BINARY_OPS = BINARY.map(([name]) => name);
export const UNARY_OPS = UNARY.map(([name]) => name);

export function elementwiseModule(v) {
  const binParams = ['a', 'b', 'out', 'rows', 'cols', 'aRS', 'aCS', 'bRS', 'bCS'];
  return [
    dispatch('binary', 'binary', BINARY_OPS, binParams),
    ...BINARY.map(([name, vop, sop]) => binary(name, vop, sop)),
    dispatch('unary', 'unary', UNARY_OPS, ['x', 'out', 'n']),
    ...UNARY.map(([name, gen]) => unary(v, name, gen)),
    fillCopy(),
  ].join('\n');
}

/**
 * out[r·cols + c] = a[r·aRS + c·aCS] OP b[r·bRS + c·bCS]. Operands that are contiguous or scalar over the
 * whole rows × cols range collapse to one long row first; then each row runs a vector loop when each
 * column stride is 1 (vector load) or 0 (splat once per row), and a scalar loop otherwise.
 */
/** The vector and scalar expressions of a binary op (comparisons turn their masks into 1.0/0.0). */
const vecOp = (vop, a, b) =>
  typeof vop === 'function'
    ? vop(a, b)
    : vop.startsWith('CMP ')
      ? `(v128.and (${vop.slice(4)} ${a} ${b}) (v128.const f32x4 1 1 1 1))`
      : `(${vop} ${a} ${b})`;
const scalarOp = (sop, a, b) =>
  typeof sop === 'function'
    ? sop(a, b)
    : sop.startsWith('CMP ')
      ? `(select (f32.const 1) (f32.const 0) (${sop.slice(4)} ${a} ${b}))`
      : `(${sop} ${a} ${b})`;

function binary(name, vop, sop) {
  const flat = (rs, cs) =>
    `(i32.or (i32.and (i32.eq ${get(cs)} (i32.const 1)) (i32.eq ${get(rs)} ${get('cols')})) (i32.eqz (i32.or ${get(cs)} ${get(rs)})))`;
  const at = (p, c, cs) => `(i32.add ${get(p)} (i32.shl (i32.mul ${get(c)} ${get(cs)}) (i32.const 2)))`;
  // Vector loop for one row given how a and b are read (load at column c, or a splat prepared per row).
  const vecLoop = (aVec, bVec) =>
    forLoop('c', i32(0), get('c4'), i32(4), `(v128.store ${at('po', 'c', 'one')} ${vecOp(vop, aVec, bVec)})`);
  const loadA = `(v128.load ${at('pa', 'c', 'one')})`;
  const loadB = `(v128.load ${at('pb', 'c', 'one')})`;
  return `
  (func $binary_${name} (param $a i32) (param $b i32) (param $out i32) (param $rows i32) (param $cols i32)
      (param $aRS i32) (param $aCS i32) (param $bRS i32) (param $bCS i32)
    ${locals('i32', 'r', 'c', 'c4', 'pa', 'pb', 'po', 'one')}
    ${locals('v128', 'va', 'vb')}
    ${set('one', i32(1))}
    (if (i32.and ${flat('aRS', 'aCS')} ${flat('bRS', 'bCS')}) (then
      ${set('cols', `(i32.mul ${get('rows')} ${get('cols')})`)}
      ${set('rows', `(i32.const 1)`)}))
    ${set('c4', `(i32.and ${get('cols')} (i32.const -4))`)}
    ;; Vector paths need column strides in {0, 1}; otherwise c4 = 0 sends everything to the scalar loop.
    (if (i32.or (i32.gt_u ${get('aCS')} (i32.const 1)) (i32.gt_u ${get('bCS')} (i32.const 1)))
      (then ${set('c4', i32(0))}))
    ${forLoop(
      'r',
      i32(0),
      get('rows'),
      i32(1),
      `
      ${set('pa', `(i32.add ${get('a')} (i32.shl (i32.mul ${get('r')} ${get('aRS')}) (i32.const 2)))`)}
      ${set('pb', `(i32.add ${get('b')} (i32.shl (i32.mul ${get('r')} ${get('bRS')}) (i32.const 2)))`)}
      ${set('po', `(i32.add ${get('out')} (i32.shl (i32.mul ${get('r')} ${get('cols')}) (i32.const 2)))`)}
      (if (i32.gt_s ${get('c4')} (i32.const 0)) (then
        ${set('va', `(v128.load32_splat ${get('pa')})`)}
        ${set('vb', `(v128.load32_splat ${get('pb')})`)}
        (if ${get('aCS')}
          (then (if ${get('bCS')}
            (then ${vecLoop(loadA, loadB)})
            (else ${vecLoop(loadA, get('vb'))})))
          (else (if ${get('bCS')}
            (then ${vecLoop(get('va'), loadB)})
            (else ${vecLoop(get('va'), get('vb'))}))))))
      ${forLoop(
        'c',
        get('c4'),
        get('cols'),
        i32(1),
        `(f32.store ${at('po', 'c', 'one')} ${scalarOp(sop, `(f32.load ${at('pa', 'c', 'aCS')})`, `(f32.load ${at('pb', 'c', 'bCS')})`)})`,
      )}`,
    )})`;
}

/** out[i] = f(x[i]) for i < n, 4 lanes at a time; a tail of 1-3 elements runs as one partial vector. */
function unary(v, name, gen) {
  const xAt = `(i32.add ${get('x')} (i32.shl ${get('i')} (i32.const 2)))`;
  const outAt = `(i32.add ${get('out')} (i32.shl ${get('i')} (i32.const 2)))`;
  return `
  (func $unary_${name} (param $x i32) (param $out i32) (param $n i32)
    ${locals('i32', 'i', 'n4', 'rem')}
    ${locals('v128', 'y')}
    ${mathLocals()}
    ${set('n4', `(i32.and ${get('n')} (i32.const -4))`)}
    ${forLoop('i', i32(0), get('n4'), i32(4), `${gen(v, `(v128.load ${xAt})`, 'y')}\n(v128.store ${outAt} ${get('y')})`)}
    ${set('rem', `(i32.sub ${get('n')} ${get('n4')})`)}
    (if ${get('rem')} (then
      ${gen(v, loadTail(xAt, get('rem')), 'y')}
      ${storeTail(outAt, get('rem'), get('y'))})))`;
}

function fillCopy() {
  return `
  ;; out[i] = value for i < n.
  (func (export "fill") (param $out i32) (param $n i32) (param $value f32)
    ${locals('i32', 'i', 'n4')}
    ${locals('v128', 'vv')}
    ${set('vv', `(f32x4.splat ${get('value')})`)}
    ${set('n4', `(i32.and ${get('n')} (i32.const -4))`)}
    ${forLoop('i', i32(0), get('n4'), i32(4), `(v128.store (i32.add ${get('out')} (i32.shl ${get('i')} (i32.const 2))) ${get('vv')})`)}
    ${forLoop('i', get('n4'), get('n'), i32(1), `(f32.store (i32.add ${get('out')} (i32.shl ${get('i')} (i32.const 2))) ${get('value')})`)})

  ;; dst[i] = src[i] for i < n elements (overlap allowed, as memmove).
  (func (export "copy") (param $src i32) (param $dst i32) (param $n i32)
    (memory.copy ${get('dst')} ${get('src')} (i32.shl ${get('n')} (i32.const 2))))`;
}
