// Vector exp, log, tanh and sigmoid on f32x4, emitted inline (V8 does not inline wasm calls, and a call per
// 4 elements would cost more than the polynomial). Each generator takes the input as a WAT expression
// (evaluated once), leaves the result in the local named `out`, and uses temporaries named `m_*`, which
// the enclosing function declares with mathLocals().
//
// The polynomials are Cephes' single-precision ones (expf, logf, tanhf). Largest relative errors measured
// on dense sweeps (both variants): exp 8.2e-8, log 7.9e-8, tanh 1.3e-7, sigmoid 1.7e-7; the test asserts 2e-7.
import { get, set, splat, isplat, locals } from './wat.mjs';

export const mathLocals = () => locals('v128', 'm_x', 'm_n', 'm_r', 'm_p', 'm_e', 'm_k', 'm_s', 'm_t', 'm_u');

/** Horner's rule with fma: ((c0·x + c1)·x + c2)… */
function horner(v, x, coeffs) {
  let acc = splat(coeffs[0]);
  for (const c of coeffs.slice(1)) acc = v.fma(acc, x, splat(c));
  return acc;
}

const LN2_HI = 0.693359375; // 9 significant bits: n·LN2_HI is exact for |n| < 2^15
const LN2_LO = -2.1219444e-4;

/**
 * exp(x) = 2^n · e^r with n = round(x / ln 2), |r| ≤ ln(2)/2. Inputs above 89 are clamped there (giving
 * +Inf, as does anything above ~88.72); NaN passes through min. 2^n is applied as two factors
 * 2^(n>>1)·2^(n−(n>>1)), both normal floats, so that results in the subnormal range and just below
 * overflow round correctly.
 */
export function exp(v, input, out) {
  // n = round(x·log2 e) by adding 1.5·2^23: the sum's low mantissa bits then hold n as an integer, which
  // saves V8's long sequences for f32x4.nearest and i32x4.trunc_sat.
  const magic = 12582912;
  return `
    ;; Lanes whose result rounds to 0 (x < −150·ln 2) compute exp(0) instead and are zeroed at the end:
    ;; on x86, a multiply that underflows takes a ~150-cycle microcode assist (−Inf logits are common).
    ${set('m_x', input)}
    ${set('m_u', `(f32x4.lt ${get('m_x')} ${splat(-103.97208)})`)}
    ${set('m_x', `(f32x4.min (v128.andnot ${get('m_x')} ${get('m_u')}) ${splat(89)})`)}
    ${set('m_n', v.fma(get('m_x'), splat(1.4426950408889634), splat(magic)))}
    ${set('m_k', `(i32x4.sub ${get('m_n')} ${isplat(0x4b400000)})`)}
    ${set('m_n', `(f32x4.sub ${get('m_n')} ${splat(magic)})`)}
    ${set('m_r', v.fma(get('m_n'), splat(-LN2_HI), get('m_x')))}
    ${set('m_r', v.fma(get('m_n'), splat(-LN2_LO), get('m_r')))}
    ${set('m_p', horner(v, get('m_r'), [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]))}
    ${set('m_p', `(f32x4.add ${v.fma(get('m_p'), `(f32x4.mul ${get('m_r')} ${get('m_r')})`, get('m_r'))} ${splat(1)})`)}
    ;; Scale by 2^n in two steps: m_n = n >> 1 and m_k = n − (n >> 1), as exponent fields.
    ${set('m_n', `(i32x4.shr_s ${get('m_k')} (i32.const 1))`)}
    ${set('m_k', `(i32x4.sub ${get('m_k')} ${get('m_n')})`)}
    ${set('m_n', `(i32x4.shl (i32x4.add ${get('m_n')} ${isplat(127)}) (i32.const 23))`)}
    ${set('m_k', `(i32x4.shl (i32x4.add ${get('m_k')} ${isplat(127)}) (i32.const 23))`)}
    ${set(out, `(v128.andnot (f32x4.mul (f32x4.mul ${get('m_p')} ${get('m_n')}) ${get('m_k')}) ${get('m_u')})`)}`;
}

/**
 * log(x) = e·ln 2 + log(m) with x = 2^e·m, m in [√½, √2). Subnormal inputs are first scaled by 2^23.
 * Special values: log(±0) = -Inf, log(+Inf) = +Inf, log(x < 0) = log(NaN) = NaN.
 */
export function log(v, input, out) {
  return `
    ${set('m_x', input)}
    ;; m_s: lanes below the smallest normal (including zero and negatives: fixed up at the end).
    ${set('m_s', `(f32x4.lt ${get('m_x')} ${splat(1.1754943508222875e-38)})`)}
    ${set('m_t', `(v128.bitselect (f32x4.mul ${get('m_x')} ${splat(8388608)}) ${get('m_x')} ${get('m_s')})`)}
    ;; m_e = exponent so that the mantissa m_r lies in [0.5, 1).
    ${set('m_e', `(i32x4.sub (i32x4.sub (i32x4.shr_u ${get('m_t')} (i32.const 23)) ${isplat(126)}) (v128.and ${get('m_s')} ${isplat(23)}))`)}
    ${set('m_r', `(v128.or (v128.and ${get('m_t')} ${isplat(0x007fffff)}) ${isplat(0x3f000000)})`)}
    ;; Below √½: use 2m − 1 and e − 1 (the mask is −1 in those lanes), else m − 1.
    ${set('m_s', `(f32x4.lt ${get('m_r')} ${splat(0.7071067811865476)})`)}
    ${set('m_e', `(i32x4.add ${get('m_e')} ${get('m_s')})`)}
    ${set('m_r', `(f32x4.sub (f32x4.add ${get('m_r')} (v128.and ${get('m_r')} ${get('m_s')})) ${splat(1)})`)}
    ${set('m_e', `(f32x4.convert_i32x4_s ${get('m_e')})`)}
    ${set('m_k', `(f32x4.mul ${get('m_r')} ${get('m_r')})`)}
    ${set(
      'm_p',
      horner(
        v,
        get('m_r'),
        [
          7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1,
          -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
        ],
      ),
    )}
    ${set('m_p', `(f32x4.mul (f32x4.mul ${get('m_p')} ${get('m_r')}) ${get('m_k')})`)}
    ${set('m_p', v.fma(get('m_e'), splat(LN2_LO), get('m_p')))}
    ${set('m_p', v.fma(get('m_k'), splat(-0.5), get('m_p')))}
    ${set('m_p', `(f32x4.add ${get('m_r')} ${get('m_p')})`)}
    ${set('m_p', v.fma(get('m_e'), splat(LN2_HI), get('m_p')))}
    ;; Special values.
    ${set('m_p', `(v128.bitselect ${splat(Infinity)} ${get('m_p')} (f32x4.eq ${get('m_x')} ${splat(Infinity)}))`)}
    ${set('m_p', `(v128.bitselect ${splat(-Infinity)} ${get('m_p')} (f32x4.eq ${get('m_x')} ${splat(0)}))`)}
    ${set(out, `(v128.bitselect ${get('m_p')} ${splat(NaN)} (f32x4.ge ${get('m_x')} ${splat(0)}))`)}`;
}

/**
 * tanh: below |x| = 0.625 Cephes' odd polynomial; above, 1 − 2/(e^{2|x|} + 1); then the sign of x
 * (exp saturates to +Inf, giving exactly ±1; NaN propagates).
 */
export function tanh(v, input, out) {
  return `
    ${set('m_t', input)}
    ${set('m_s', `(f32x4.abs ${get('m_t')})`)}
    ${exp(v, `(f32x4.add ${get('m_s')} ${get('m_s')})`, 'm_e')}
    ${set('m_e', `(f32x4.sub ${splat(1)} (f32x4.div ${splat(2)} (f32x4.add ${get('m_e')} ${splat(1)})))`)}
    ${set('m_k', `(f32x4.mul ${get('m_t')} ${get('m_t')})`)}
    ${set('m_p', horner(v, get('m_k'), [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]))}
    ${set('m_p', v.fma(`(f32x4.mul ${get('m_p')} ${get('m_k')})`, get('m_t'), get('m_t')))}
    ${set('m_p', `(v128.bitselect ${get('m_p')} ${get('m_e')} (f32x4.lt ${get('m_s')} ${splat(0.625)}))`)}
    ;; tanh is odd: the sign of x (this also keeps tanh(-0) = -0, which the polynomial loses).
    ${set(out, `(v128.bitselect ${get('m_t')} ${get('m_p')} ${isplat(-0x80000000)})`)}`;
}

/**
 * sigmoid: with e = exp(−|x|) (never overflows), 1/(1+e) for x ≥ 0 and e/(1+e) for x < 0, so small
 * results keep their relative accuracy.
 */
export function sigmoid(v, input, out) {
  return `
    ${set('m_t', input)}
    ${exp(v, `(f32x4.neg (f32x4.abs ${get('m_t')}))`, 'm_e')}
    ${set('m_s', `(f32x4.add ${get('m_e')} ${splat(1)})`)}
    ${set(out, `(f32x4.div (v128.bitselect ${get('m_e')} ${splat(1)} (f32x4.lt ${get('m_t')} ${splat(0)})) ${get('m_s')})`)}`;
}

/**
 * erf: below |x| = 1 its Taylor series x·Σ cₙx²ⁿ to n = 10 (truncation below 2e-9); above, 1 − erfc
 * with erfc(z) = t·e^(−z² − 1.26551223 + t·P(t)), t = 1/(1 + z/2), Numerical Recipes' Chebyshev fit
 * (fractional error below 1.2e-7, and erfc ≤ 0.16 there: erf's share of it is below 2.3e-8);
 * then the sign of x (erf(−0) = −0; NaN propagates; ±Inf gives ±1).
 */
export function erf(v, input, out) {
  const nr = [
    0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
    1.00002368, -1.26551223,
  ];
  const taylor = [
    1.4807192815879218e-8, -1.6365844691234924e-7, 1.6462114365889246e-6, -1.492565035840625e-5,
    0.00012055332981789664, -0.0008548327023450852, 0.005223977625442188, -0.026866170645131252,
    0.11283791670955126, -0.37612638903183754, 1.1283791670955126,
  ];
  // exp clobbers m_k, m_n, m_p, m_r, m_u and m_x: t lives in m_e (exp's output) until exp has read it.
  const t = `(f32x4.div ${splat(1)} ${v.fma(get('m_s'), splat(0.5), splat(1))})`;
  return `
    ${set('m_t', input)}
    ${set('m_s', `(f32x4.abs ${get('m_t')})`)}
    ${set('m_e', t)}
    ${exp(v, `(f32x4.sub ${horner(v, get('m_e'), nr)} (f32x4.mul ${get('m_s')} ${get('m_s')}))`, 'm_e')}
    ${set('m_e', `(f32x4.sub ${splat(1)} (f32x4.mul ${t} ${get('m_e')}))`)}
    ${set('m_k', `(f32x4.mul ${get('m_s')} ${get('m_s')})`)}
    ${set('m_p', `(f32x4.mul ${get('m_s')} ${horner(v, get('m_k'), taylor)})`)}
    ${set('m_p', `(v128.bitselect ${get('m_p')} ${get('m_e')} (f32x4.lt ${get('m_s')} ${splat(1)}))`)}
    ${set(out, `(v128.bitselect ${get('m_t')} ${get('m_p')} ${isplat(-0x80000000)})`)}`;
}
