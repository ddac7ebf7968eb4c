// Reductions over rows or columns of a row-major rows × cols matrix, and row-wise (log-)softmax.
import {
  get,
  set,
  i32,
  splat,
  forLoop,
  locals,
  loadTail,
  storeTail,
  tailMask,
  dispatch,
  laneFold,
} from './wat.mjs';
import { mathLocals, exp, log } from './math.mjs';

/** Reduce op codes (contract order): vector op, scalar op, identity (the result of an empty reduction). */
const REDUCE = [
  ['sum', 'f32x4.add', 'f32.add', 0],
  ['max', 'f32x4.max', 'f32.max', -Infinity],
  ['min', 'f32x4.min', 'f32.min', Infinity],
];

export const REDUCE_OPS = REDUCE.map(([name]) => name);

export function reduceModule(v) {
  const params = ['x', 'out', 'rows', 'cols'];
  return [
    dispatch('reduce_rows', 'reduce_rows', REDUCE_OPS, params),
    dispatch('reduce_cols', 'reduce_cols', REDUCE_OPS, params),
    ...REDUCE.map((r) => reduceRows(...r)),
    ...REDUCE.map((r) => reduceCols(...r)),
    softmaxRows(v),
  ].join('\n');
}

/**
 * Leaves op over the `cols` floats at byte address `p` in the f32 local `res`. Four vector accumulators
 * (16 lanes) keep the adds independent and, for sums, make the rounding error grow with cols/16.
 */
function rowReduce(vop, sop, identity, p) {
  const at = (i) => `(i32.add ${p} (i32.shl ${i} (i32.const 2)))`;
  const accs = ['q0', 'q1', 'q2', 'q3'];
  return `
    ${accs.map((a) => set(a, splat(identity))).join('\n')}
    ${set('j16', `(i32.and ${get('cols')} (i32.const -16))`)}
    ${set('j4', `(i32.and ${get('cols')} (i32.const -4))`)}
    ${forLoop(
      'j',
      i32(0),
      get('j16'),
      i32(16),
      accs
        .map((a, k) => set(a, `(${vop} ${get(a)} (v128.load offset=${16 * k} ${at(get('j'))}))`))
        .join('\n'),
    )}
    ${forLoop('j', get('j16'), get('j4'), i32(4), set('q0', `(${vop} ${get('q0')} (v128.load ${at(get('j'))}))`))}
    ${set('q0', `(${vop} (${vop} ${get('q0')} ${get('q1')}) (${vop} ${get('q2')} ${get('q3')}))`)}
    ${set('res', laneFold(sop, get('q0')))}
    ${forLoop('j', get('j4'), get('cols'), i32(1), set('res', `(${sop} ${get('res')} (f32.load ${at(get('j'))}))`))}`;
}

const rowLocals = () =>
  `${locals('i32', 'j', 'j4', 'j16')} ${locals('v128', 'q0', 'q1', 'q2', 'q3')} (local $res f32)`;

/** out[r] = op over c of x[r·cols + c]. */
function reduceRows(name, vop, sop, identity) {
  const row = `(i32.add ${get('x')} (i32.shl (i32.mul ${get('r')} ${get('cols')}) (i32.const 2)))`;
  return `
  (func $reduce_rows_${name} (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $p i32) ${rowLocals()}
    ${forLoop(
      'r',
      i32(0),
      get('rows'),
      i32(1),
      `${set('p', row)}
      ${rowReduce(vop, sop, identity, get('p'))}
      (f32.store (i32.add ${get('out')} (i32.shl ${get('r')} (i32.const 2))) ${get('res')})`,
    )})`;
}

/**
 * out[c] = op over r of x[r·cols + c]. Columns go 16 (then 4) at a time with the partial results in
 * registers while walking down the rows, so `out` is written once; leftover columns run scalar.
 */
function reduceCols(name, vop, sop, identity) {
  const rowStride = `(i32.shl ${get('cols')} (i32.const 2))`;
  const colLoop = (width) => {
    const accs = ['q0', 'q1', 'q2', 'q3'].slice(0, width / 4);
    return forLoop(
      'c',
      get('c'),
      `(i32.sub ${get('cols')} (i32.const ${width - 1}))`,
      i32(width),
      `
      ${accs.map((a) => set(a, splat(identity))).join('\n')}
      ${set('p', `(i32.add ${get('x')} (i32.shl ${get('c')} (i32.const 2)))`)}
      ${forLoop(
        'r',
        i32(0),
        get('rows'),
        i32(1),
        `${accs.map((a, k) => set(a, `(${vop} ${get(a)} (v128.load offset=${16 * k} ${get('p')}))`)).join('\n')}
        ${set('p', `(i32.add ${get('p')} ${rowStride})`)}`,
      )}
      ${accs.map((a, k) => `(v128.store offset=${16 * k} (i32.add ${get('out')} (i32.shl ${get('c')} (i32.const 2))) ${get(a)})`).join('\n')}`,
    );
  };
  return `
  (func $reduce_cols_${name} (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    ${locals('i32', 'r', 'c', 'p')} ${locals('v128', 'q0', 'q1', 'q2', 'q3')} (local $res f32)
    ${set('c', i32(0))}
    ${colLoop(16)}
    ${colLoop(4)}
    ${forLoop(
      'c',
      get('c'),
      get('cols'),
      i32(1),
      `
      ${set('res', `(f32.const ${identity === 0 ? 0 : identity > 0 ? 'inf' : '-inf'})`)}
      ${set('p', `(i32.add ${get('x')} (i32.shl ${get('c')} (i32.const 2)))`)}
      ${forLoop(
        'r',
        i32(0),
        get('rows'),
        i32(1),
        `${set('res', `(${sop} ${get('res')} (f32.load ${get('p')}))`)}
        ${set('p', `(i32.add ${get('p')} ${rowStride})`)}`,
      )}
      (f32.store (i32.add ${get('out')} (i32.shl ${get('c')} (i32.const 2))) ${get('res')})`,
    )})`;
}

/**
 * Stable softmax of each row: m = max, e = exp(x − m), out = e / Σe; or, with log = 1,
 * out = x − m − log(Σe). A row of all −Inf gives NaN, as in PyTorch.
 */
function softmaxRows(v) {
  const at = (p, i) => `(i32.add ${get(p)} (i32.shl ${i} (i32.const 2)))`;
  // Runs `body(x)` (x: a v128 expression; the result goes to local y) on each group of 4 elements of the
  // row, then `after()`, storing y to out when `store`. The 1-3 elements of the tail run as one partial
  // vector whose missing lanes read as −Inf (exp gives 0 there).
  const each = (body, { store = true, after = () => '' } = {}) => {
    const step = (x, storeY) => `${body(x)}\n${store ? storeY : ''}\n${after()}`;
    return `
    ${forLoop('j', i32(0), get('j4'), i32(4), step(`(v128.load ${at('px', get('j'))})`, `(v128.store ${at('po', get('j'))} ${get('y')})`))}
    (if ${get('rem')} (then
      ${step(
        `(v128.bitselect ${loadTail(at('px', get('j4')), get('rem'))} ${splat(-Infinity)} ${get('tail')})`,
        storeTail(at('po', get('j4')), get('rem'), get('y')),
      )}))`;
  };
  // e = exp(x − m), summed in vs (and stored to out when `store`).
  const expSum = (store) => `
    ${set('vs', splat(0))}
    ${each((x) => exp(v, `(f32x4.sub ${x} ${get('vm')})`, 'y'), {
      store,
      after: () => set('vs', `(f32x4.add ${get('vs')} ${get('y')})`),
    })}
    ${set('vs', `(f32x4.splat ${laneFold('f32.add', get('vs'))})`)}`;
  return `
  (func (export "softmax_rows") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32) (param $log i32)
    ${locals('i32', 'r', 'px', 'po', 'rem')} ${rowLocals()} ${locals('v128', 'vm', 'vs', 'y', 'tail')} ${mathLocals()}
    ${set('rem', `(i32.and ${get('cols')} (i32.const 3))`)}
    ${set('tail', tailMask(get('rem')))}
    ${forLoop(
      'r',
      i32(0),
      get('rows'),
      i32(1),
      `
      ${set('px', `(i32.add ${get('x')} (i32.shl (i32.mul ${get('r')} ${get('cols')}) (i32.const 2)))`)}
      ${set('po', `(i32.add ${get('out')} (i32.shl (i32.mul ${get('r')} ${get('cols')}) (i32.const 2)))`)}
      ${rowReduce('f32x4.max', 'f32.max', -Infinity, get('px'))}
      ${set('vm', `(f32x4.splat ${get('res')})`)}
      (if ${get('log')}
        (then
          ;; out = (x − m) − log(Σe). The sum pass stores nothing, so x may be out (in place).
          ${expSum(false)}
          ${log(v, get('vs'), 'vs')}
          ${each((x) => set('y', `(f32x4.sub (f32x4.sub ${x} ${get('vm')}) ${get('vs')})`))})
        (else
          ;; out = e / Σe, dividing e in place in out.
          ${expSum(true)}
          ${set('px', get('po'))}
          ${each((x) => set('y', `(f32x4.div ${x} ${get('vs')})`))}))`,
    )})`;
}
