// Layer-normalization kernels over `rows` contiguous rows of `cols` float32 values (the normalized dims
// flattened): statistics, normalization and affine in one call, and the backward in two (∂x by rows,
// ∂γ and ∂β by columns), so that a worker thread takes a range of rows or of columns. The row sums use
// four f32x4 lanes, then a scalar tail, in float32 like PyTorch's CPU kernel.
import { get, set, i32, forLoop, locals, laneFold } from './wat.mjs';

const at = (p, i) => `(i32.add ${get(p)} (i32.shl ${i} (i32.const 2)))`;
const hsum = (v) => laneFold('f32.add', v);

/** Over one row at $px: the vector loop over j < cols4 with `vec`, then the scalar tail with `tail`. */
const walk = (vec, tail) => `
  ${forLoop('j', i32(0), get('cols4'), i32(4), vec)}
  ${forLoop('j', get('cols4'), get('cols'), i32(1), tail)}`;
const vx = (p) => `(v128.load ${at(p, get('j'))})`;
const sx = (p) => `(f32.load ${at(p, get('j'))})`;

/** cols4 and n, then for each row $r: its pointers ([local, array] pairs: the row's first float) and `body`. */
const eachRow = (pointers, body) => `
  ${set('cols4', `(i32.and ${get('cols')} (i32.const -4))`)}
  ${set('n', `(f32.convert_i32_u ${get('cols')})`)}
  ${forLoop(
    'r',
    i32(0),
    get('rows'),
    i32(1),
    `${pointers.map(([p, a]) => set(p, at(a, `(i32.mul ${get('r')} ${get('cols')})`))).join('\n')}
    ${body}`,
  )}`;

/**
 * layernorm_rows(x, y, mean, rstd, w, b, rows, cols, epsBits, flags): per row, μ = Σx/n, σ² = Σ(x − μ)²/n
 * (biased, two passes), rstd = 1/√(σ² + ε), y = (x − μ)·rstd, then ·w[j] (flags bit 1) and + b[j] (bit 2).
 * ε comes as its float32 bits (a worker's job is i32 words).
 */
function forward() {
  return `
  (func (export "layernorm_rows") (param $x i32) (param $y i32) (param $mean i32) (param $rstd i32)
      (param $w i32) (param $b i32) (param $rows i32) (param $cols i32) (param $epsBits i32) (param $flags i32)
    ${locals('i32', 'r', 'j', 'cols4', 'px', 'py')}
    ${locals('v128', 'acc', 'd')}
    ${locals('f32', 's', 'm', 'rs', 'n', 't')}
    ${eachRow(
      [
        ['px', 'x'],
        ['py', 'y'],
      ],
      `${set('acc', '(v128.const f32x4 0 0 0 0)')}
      ${set('s', '(f32.const 0)')}
      ${walk(set('acc', `(f32x4.add ${get('acc')} ${vx('px')})`), set('s', `(f32.add ${get('s')} ${sx('px')})`))}
      ${set('m', `(f32.div (f32.add ${hsum(get('acc'))} ${get('s')}) ${get('n')})`)}
      ${set('acc', '(v128.const f32x4 0 0 0 0)')}
      ${set('s', '(f32.const 0)')}
      ${walk(
        `${set('d', `(f32x4.sub ${vx('px')} (f32x4.splat ${get('m')}))`)}
        ${set('acc', `(f32x4.add ${get('acc')} (f32x4.mul ${get('d')} ${get('d')}))`)}`,
        `${set('t', `(f32.sub ${sx('px')} ${get('m')})`)}
        ${set('s', `(f32.add ${get('s')} (f32.mul ${get('t')} ${get('t')}))`)}`,
      )}
      ${set('rs', `(f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div (f32.add ${hsum(get('acc'))} ${get('s')}) ${get('n')}) (f32.reinterpret_i32 ${get('epsBits')}))))`)}
      (f32.store ${at('mean', get('r'))} ${get('m')})
      (f32.store ${at('rstd', get('r'))} ${get('rs')})
      ${walk(
        `${set('d', `(f32x4.mul (f32x4.sub ${vx('px')} (f32x4.splat ${get('m')})) (f32x4.splat ${get('rs')}))`)}
        (if (i32.and ${get('flags')} (i32.const 1)) (then ${set('d', `(f32x4.mul ${get('d')} ${vx('w')})`)}))
        (if (i32.and ${get('flags')} (i32.const 2)) (then ${set('d', `(f32x4.add ${get('d')} ${vx('b')})`)}))
        (v128.store ${at('py', get('j'))} ${get('d')})`,
        `${set('t', `(f32.mul (f32.sub ${sx('px')} ${get('m')}) ${get('rs')})`)}
        (if (i32.and ${get('flags')} (i32.const 1)) (then ${set('t', `(f32.mul ${get('t')} ${sx('w')})`)}))
        (if (i32.and ${get('flags')} (i32.const 2)) (then ${set('t', `(f32.add ${get('t')} ${sx('b')})`)}))
        (f32.store ${at('py', get('j'))} ${get('t')})`,
      )}`,
    )})`;
}

/**
 * layernorm_backward_rows(g, x, mean, rstd, w, dx, rows, cols, flags): per row, with ĝ = g·w[j] (flags
 * bit 1, else g) and x̂ = (x − μ)·rstd: ∂x = rstd·(ĝ − Σĝ/n − x̂·Σĝx̂/n).
 */
function backwardRows() {
  const gw = (load) =>
    `(if (result ${load === vx ? 'v128' : 'f32'}) (i32.and ${get('flags')} (i32.const 1))
      (then (${load === vx ? 'f32x4' : 'f32'}.mul ${load('pg')} ${load('w')}))
      (else ${load('pg')}))`;
  const xhatV = `(f32x4.mul (f32x4.sub ${vx('px')} (f32x4.splat ${get('m')})) (f32x4.splat ${get('rs')}))`;
  const xhatS = `(f32.mul (f32.sub ${sx('px')} ${get('m')}) ${get('rs')})`;
  return `
  (func (export "layernorm_backward_rows") (param $g i32) (param $x i32) (param $mean i32) (param $rstd i32)
      (param $w i32) (param $dx i32) (param $rows i32) (param $cols i32) (param $flags i32)
    ${locals('i32', 'r', 'j', 'cols4', 'pg', 'px', 'pd')}
    ${locals('v128', 'a1', 'a2', 'vg', 'vh')}
    ${locals('f32', 's1', 's2', 'm', 'rs', 'n', 'c1', 'c2', 'tg', 'th')}
    ${eachRow(
      [
        ['pg', 'g'],
        ['px', 'x'],
        ['pd', 'dx'],
      ],
      `${set('m', `(f32.load ${at('mean', get('r'))})`)}
      ${set('rs', `(f32.load ${at('rstd', get('r'))})`)}
      ${set('a1', '(v128.const f32x4 0 0 0 0)')}
      ${set('a2', '(v128.const f32x4 0 0 0 0)')}
      ${set('s1', '(f32.const 0)')}
      ${set('s2', '(f32.const 0)')}
      ${walk(
        `${set('vg', gw(vx))}
        ${set('a1', `(f32x4.add ${get('a1')} ${get('vg')})`)}
        ${set('a2', `(f32x4.add ${get('a2')} (f32x4.mul ${get('vg')} ${xhatV}))`)}`,
        `${set('tg', gw(sx))}
        ${set('s1', `(f32.add ${get('s1')} ${get('tg')})`)}
        ${set('s2', `(f32.add ${get('s2')} (f32.mul ${get('tg')} ${xhatS}))`)}`,
      )}
      ${set('c1', `(f32.div (f32.add ${hsum(get('a1'))} ${get('s1')}) ${get('n')})`)}
      ${set('c2', `(f32.div (f32.add ${hsum(get('a2'))} ${get('s2')}) ${get('n')})`)}
      ${walk(
        `${set('vh', xhatV)}
        (v128.store ${at('pd', get('j'))}
          (f32x4.mul (f32x4.splat ${get('rs')})
            (f32x4.sub (f32x4.sub ${gw(vx)} (f32x4.splat ${get('c1')})) (f32x4.mul ${get('vh')} (f32x4.splat ${get('c2')})))))`,
        `${set('th', xhatS)}
        (f32.store ${at('pd', get('j'))}
          (f32.mul ${get('rs')} (f32.sub (f32.sub ${gw(sx)} ${get('c1')}) (f32.mul ${get('th')} ${get('c2')}))))`,
      )}`,
    )})`;
}

/**
 * layernorm_backward_params(g, x, mean, rstd, dw, db, rows, cols, c0, c1): for columns c0 ≤ j < c1 (a
 * worker's range), dw[j] = Σ_r g[r, j]·x̂[r, j] and db[j] = Σ_r g[r, j], the rows summed in order.
 */
function backwardParams() {
  return `
  (func (export "layernorm_backward_params") (param $g i32) (param $x i32) (param $mean i32) (param $rstd i32)
      (param $dw i32) (param $db i32) (param $rows i32) (param $cols i32) (param $c0 i32) (param $c1 i32)
    ${locals('i32', 'r', 'j', 'n4', 'cols4', 'pg', 'px')}
    ${locals('v128', 'vm', 'vr', 'vg')}
    ${locals('f32', 'm', 'rs', 'n', 'tg')}
    ${set('n4', `(i32.add ${get('c0')} (i32.and (i32.sub ${get('c1')} ${get('c0')}) (i32.const -4)))`)}
    (memory.fill ${at('dw', get('c0'))} (i32.const 0) (i32.shl (i32.sub ${get('c1')} ${get('c0')}) (i32.const 2)))
    (memory.fill ${at('db', get('c0'))} (i32.const 0) (i32.shl (i32.sub ${get('c1')} ${get('c0')}) (i32.const 2)))
    ${eachRow(
      [
        ['pg', 'g'],
        ['px', 'x'],
      ],
      `${set('m', `(f32.load ${at('mean', get('r'))})`)}
      ${set('rs', `(f32.load ${at('rstd', get('r'))})`)}
      ${set('vm', `(f32x4.splat ${get('m')})`)}
      ${set('vr', `(f32x4.splat ${get('rs')})`)}
      ${forLoop(
        'j',
        get('c0'),
        get('n4'),
        i32(4),
        `${set('vg', vx('pg'))}
        (v128.store ${at('db', get('j'))} (f32x4.add ${vx('db')} ${get('vg')}))
        (v128.store ${at('dw', get('j'))}
          (f32x4.add ${vx('dw')} (f32x4.mul ${get('vg')} (f32x4.mul (f32x4.sub ${vx('px')} ${get('vm')}) ${get('vr')}))))`,
      )}
      ${forLoop(
        'j',
        get('n4'),
        get('c1'),
        i32(1),
        `${set('tg', sx('pg'))}
        (f32.store ${at('db', get('j'))} (f32.add ${sx('db')} ${get('tg')}))
        (f32.store ${at('dw', get('j'))}
          (f32.add ${sx('dw')} (f32.mul ${get('tg')} (f32.mul (f32.sub ${sx('px')} ${get('m')}) ${get('rs')}))))`,
      )}`,
    )})`;
}

export function layernormModule() {
  return [forward(), backwardRows(), backwardParams()].join('\n');
}
