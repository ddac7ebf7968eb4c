// Batch-normalization kernels over [N, C, *] float32 data walked as outer·channels contiguous runs of
// `inner` floats (run r belongs to channel r mod channels). Per-channel sums accumulate in float64: each
// f32x4 is promoted to two f64x2, so the sums' error grows with n·2⁻⁵³, not n·2⁻²⁴.
import { get, set, i32, forLoop, locals, shuffle4 } from './wat.mjs';

export function batchnormModule(v) {
  return [stats(), apply(v), backwardSums(), backwardDx(v)].join('\n');
}

const at = (p, i) => `(i32.add ${get(p)} (i32.shl ${i} (i32.const 2)))`;
const at64 = (p, c) => `(i32.add ${get(p)} (i32.shl ${c} (i32.const 3)))`;
const hi = (x) => shuffle4(x, x, [2, 3, 2, 3]);
/** acc (f64x2) += the four lanes of the f32x4 local `t`. */
const addPromoted = (acc, t) =>
  set(
    acc,
    `(f64x2.add ${get(acc)} (f64x2.add (f64x2.promote_low_f32x4 ${get(t)}) (f64x2.promote_low_f32x4 ${hi(get(t))})))`,
  );
const sum2 = (acc) => `(f64.add (f64x2.extract_lane 0 ${get(acc)}) (f64x2.extract_lane 1 ${get(acc)}))`;
/** splat of the f32 at channel c of the array at p. */
const chan = (p) => `(f32.load ${at(p, get('c'))})`;

/** `perRun` for each run with $c its channel, then the pointers `ptrs` move on by one run. */
function runs(ptrs, perRun) {
  const step = `(i32.shl ${get('inner')} (i32.const 2))`;
  return forLoop(
    'a',
    i32(0),
    get('outer'),
    i32(1),
    forLoop(
      'c',
      i32(0),
      get('channels'),
      i32(1),
      `${perRun}
      ${ptrs.map((p) => set(p, `(i32.add ${get(p)} ${step})`)).join('\n')}`,
    ),
  );
}

/** The vector loop over j < inner4, then the scalar tail. */
const walk = (vec, tail) => `
  ${forLoop('j', i32(0), get('inner4'), i32(4), vec)}
  ${forLoop('j', get('inner4'), get('inner'), i32(1), tail)}`;

const common = `${locals('i32', 'a', 'c', 'j', 'inner4')}`;
const initInner4 = set('inner4', `(i32.and ${get('inner')} (i32.const -4))`);
const zero2 = '(v128.const i64x2 0 0)';
/** scratch[k] += the vector sum q plus the scalar tail's sum s (f64). */
const addTo = (k, q, s) =>
  `(f64.store ${at64('scratch', k)} (f64.add (f64.load ${at64('scratch', k)}) (f64.add ${sum2(q)} ${get(s)})))`;
const second = `(i32.add ${get('channels')} ${get('c')})`;

/**
 * mean[c] and biased var[c], corrected two-pass: μ = Σx/n (rounded to float32), then
 * (Σd² − (Σd)²/n)/n with d = x − μ, which also removes the error of μ's rounding. `scratch` holds 2·C
 * float64. The variance's relative error is about 2⁻²³ (d's rounding) plus n·2⁻⁵³, whatever the mean.
 */
function stats() {
  return `
  (func (export "bn_stats") (param $x i32) (param $outer i32) (param $channels i32) (param $inner i32)
    (param $mean i32) (param $var i32) (param $scratch i32)
    ${common} ${locals('i32', 'px')} ${locals('v128', 't', 'q0', 'q1', 'm')} ${locals('f64', 's0', 's1', 'n', 'd')}
    (local $ms f32)
    ${initInner4}
    ${set('n', `(f64.convert_i32_s (i32.mul ${get('outer')} ${get('inner')}))`)}
    ${forLoop('c', i32(0), `(i32.shl ${get('channels')} (i32.const 1))`, i32(1), `(f64.store ${at64('scratch', get('c'))} (f64.const 0))`)}
    ${set('px', get('x'))}
    ${runs(
      ['px'],
      `${set('q0', zero2)} ${set('s0', '(f64.const 0)')}
      ${walk(
        `${set('t', `(v128.load ${at('px', get('j'))})`)} ${addPromoted('q0', 't')}`,
        set('s0', `(f64.add ${get('s0')} (f64.promote_f32 (f32.load ${at('px', get('j'))})))`),
      )}
      ${addTo(get('c'), 'q0', 's0')}`,
    )}
    ${forLoop(
      'c',
      i32(0),
      get('channels'),
      i32(1),
      `(f32.store ${at('mean', get('c'))} (f32.demote_f64 (f64.div (f64.load ${at64('scratch', get('c'))}) ${get('n')})))
      (f64.store ${at64('scratch', get('c'))} (f64.const 0))`,
    )}
    ${set('px', get('x'))}
    ${runs(
      ['px'],
      `${set('q0', zero2)} ${set('q1', zero2)} ${set('s0', '(f64.const 0)')} ${set('s1', '(f64.const 0)')}
      ${set('ms', chan('mean'))}
      ${set('m', `(f32x4.splat ${get('ms')})`)}
      ${walk(
        `${set('t', `(f32x4.sub (v128.load ${at('px', get('j'))}) ${get('m')})`)}
        ${addPromoted('q0', 't')}
        ${set('t', `(f32x4.mul ${get('t')} ${get('t')})`)}
        ${addPromoted('q1', 't')}`,
        `${set('d', `(f64.promote_f32 (f32.sub (f32.load ${at('px', get('j'))}) ${get('ms')}))`)}
        ${set('s0', `(f64.add ${get('s0')} ${get('d')})`)}
        ${set('s1', `(f64.add ${get('s1')} (f64.mul ${get('d')} ${get('d')}))`)}`,
      )}
      ${addTo(get('c'), 'q0', 's0')}
      ${addTo(second, 'q1', 's1')}`,
    )}
    ${forLoop(
      'c',
      i32(0),
      get('channels'),
      i32(1),
      `${set('s0', `(f64.load ${at64('scratch', get('c'))})`)}
      (f32.store ${at('var', get('c'))} (f32.demote_f64 (f64.max (f64.const 0)
        (f64.div (f64.sub (f64.load ${at64('scratch', second)})
                          (f64.div (f64.mul ${get('s0')} ${get('s0')}) ${get('n')})) ${get('n')}))))`,
    )})`;
}

/** out = (x − center[c])·scale[c] + shift[c]. */
function apply(v) {
  return `
  (func (export "bn_apply") (param $x i32) (param $out i32) (param $outer i32) (param $channels i32) (param $inner i32)
    (param $scale i32) (param $shift i32) (param $center i32)
    ${common} ${locals('i32', 'px', 'po')} ${locals('v128', 'm', 'k', 'b')} ${locals('f32', 'ms', 'ks', 'bs')}
    ${initInner4}
    ${set('px', get('x'))} ${set('po', get('out'))}
    ${runs(
      ['px', 'po'],
      `${set('ms', chan('center'))} ${set('ks', chan('scale'))} ${set('bs', chan('shift'))}
      ${set('m', `(f32x4.splat ${get('ms')})`)} ${set('k', `(f32x4.splat ${get('ks')})`)} ${set('b', `(f32x4.splat ${get('bs')})`)}
      ${walk(
        `(v128.store ${at('po', get('j'))} ${v.fma(`(f32x4.sub (v128.load ${at('px', get('j'))}) ${get('m')})`, get('k'), get('b'))})`,
        `(f32.store ${at('po', get('j'))} (f32.add (f32.mul (f32.sub (f32.load ${at('px', get('j'))}) ${get('ms')}) ${get('ks')}) ${get('bs')}))`,
      )}`,
    )})`;
}

/** scratch[c] = Σg, scratch[C + c] = Σg·(x − mean[c]), in float64 (2·C of them). */
function backwardSums() {
  return `
  (func (export "bn_backward_sums") (param $g i32) (param $x i32) (param $outer i32) (param $channels i32) (param $inner i32)
    (param $mean i32) (param $scratch i32)
    ${common} ${locals('i32', 'px', 'pg')} ${locals('v128', 't', 'u', 'q0', 'q1', 'm')} ${locals('f64', 's0', 's1', 'gs')}
    (local $ms f32)
    ${initInner4}
    ${forLoop('c', i32(0), `(i32.shl ${get('channels')} (i32.const 1))`, i32(1), `(f64.store ${at64('scratch', get('c'))} (f64.const 0))`)}
    ${set('px', get('x'))} ${set('pg', get('g'))}
    ${runs(
      ['px', 'pg'],
      `${set('q0', zero2)} ${set('q1', zero2)} ${set('s0', '(f64.const 0)')} ${set('s1', '(f64.const 0)')}
      ${set('ms', chan('mean'))}
      ${set('m', `(f32x4.splat ${get('ms')})`)}
      ${walk(
        `${set('t', `(v128.load ${at('pg', get('j'))})`)}
        ${set('u', `(f32x4.sub (v128.load ${at('px', get('j'))}) ${get('m')})`)}
        ${addPromoted('q0', 't')}
        ${set(
          'q1',
          `(f64x2.add ${get('q1')} (f64x2.add
            (f64x2.mul (f64x2.promote_low_f32x4 ${get('t')}) (f64x2.promote_low_f32x4 ${get('u')}))
            (f64x2.mul (f64x2.promote_low_f32x4 ${hi(get('t'))}) (f64x2.promote_low_f32x4 ${hi(get('u'))}))))`,
        )}`,
        `${set('gs', `(f64.promote_f32 (f32.load ${at('pg', get('j'))}))`)}
        ${set('s0', `(f64.add ${get('s0')} ${get('gs')})`)}
        ${set('s1', `(f64.add ${get('s1')} (f64.mul ${get('gs')} (f64.promote_f32 (f32.sub (f32.load ${at('px', get('j'))}) ${get('ms')}))))`)}`,
      )}
      ${addTo(get('c'), 'q0', 's0')}
      ${addTo(second, 'q1', 's1')}`,
    )})`;
}

/** dx = g·A[c] + (x − mean[c])·B[c] + C[c], with coef = [A (C floats), B, C]. */
function backwardDx(v) {
  const coef = (k) =>
    `(f32.load ${at('coef', `(i32.add ${get('c')} (i32.mul ${get('channels')} (i32.const ${k})))`)})`;
  return `
  (func (export "bn_backward_dx") (param $g i32) (param $x i32) (param $dx i32) (param $outer i32) (param $channels i32)
    (param $inner i32) (param $mean i32) (param $coef i32)
    ${common} ${locals('i32', 'px', 'pg', 'po')} ${locals('v128', 'm', 'ka', 'kb', 'kc')} ${locals('f32', 'ms', 'as', 'bs', 'cs')}
    ${initInner4}
    ${set('px', get('x'))} ${set('pg', get('g'))} ${set('po', get('dx'))}
    ${runs(
      ['px', 'pg', 'po'],
      `${set('ms', chan('mean'))} ${set('as', coef(0))} ${set('bs', coef(1))} ${set('cs', coef(2))}
      ${set('m', `(f32x4.splat ${get('ms')})`)} ${set('ka', `(f32x4.splat ${get('as')})`)}
      ${set('kb', `(f32x4.splat ${get('bs')})`)} ${set('kc', `(f32x4.splat ${get('cs')})`)}
      ${walk(
        `(v128.store ${at('po', get('j'))}
          ${v.fma(`(v128.load ${at('pg', get('j'))})`, get('ka'), v.fma(`(f32x4.sub (v128.load ${at('px', get('j'))}) ${get('m')})`, get('kb'), get('kc')))})`,
        `(f32.store ${at('po', get('j'))} (f32.add (f32.add (f32.mul (f32.load ${at('pg', get('j'))}) ${get('as')})
          (f32.mul (f32.sub (f32.load ${at('px', get('j'))}) ${get('ms')}) ${get('bs')})) ${get('cs')}))`,
      )}`,
    )})`;
}
