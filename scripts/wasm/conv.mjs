// im2col and col2im for one image: the receptive fields of a [C, H, W] image `img` as the [C·KH·KW, OH·OW]
// matrix `mat` (row stride `ld`, so several images can sit side by side) and the adjoint scatter-add back.
// Padding is read as zeros here instead of being copied in, and the matrix is built per image, so it
// stays in cache for the product that follows instead of being written to memory for the whole batch.
import { get, set, i32, forLoop, locals } from './wat.mjs';

/** A window's geometry, [height, width] pairs: kernel size, stride, padding before, dilation. */
export const WINDOW = ['KH', 'KW', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw'];
const PARAMS = ['img', 'mat', 'ld', 'C', 'H', 'W', ...WINDOW, 'OH', 'OW'];
const step = (p, bytes) => set(p, `(i32.add ${get(p)} (i32.const ${bytes}))`);
const at = (p, i) => `(i32.add ${get(p)} (i32.shl ${i} (i32.const 2)))`;

/**
 * The loop nest over (c, kh, kw, oh) with $ih the input row and $iw0 the input column of ow = 0; the
 * matrix row being built is at $row. `validRow` runs when the input row exists (else `padRow`), with
 * [$lo, $hi) the output columns whose input column exists (computed for stride 1 and any stride).
 */
function nest(name, validRow, padRow) {
  const params = PARAMS.map((p) => `(param $${p} i32)`).join(' ');
  const mul = (a, b) => `(i32.mul ${a} ${b})`;
  return `
  (func $${name} (export "${name}") ${params}
    ${locals('i32', 'c', 'kh', 'kw', 'oh', 'ow', 'ih', 'iw0', 'lo', 'hi', 'row', 'plane', 'line', 'k', 'p', 'q', 'n4')}
    ${set('k', i32(0))}
    ${forLoop(
      'c',
      i32(0),
      get('C'),
      i32(1),
      `${set('plane', mul(get('c'), mul(get('H'), get('W'))))}
      ${forLoop(
        'kh',
        i32(0),
        get('KH'),
        i32(1),
        forLoop(
          'kw',
          i32(0),
          get('KW'),
          i32(1),
          `${set('iw0', `(i32.sub ${mul(get('kw'), get('dw'))} ${get('pw')})`)}
          ;; ow is valid when 0 <= iw0 + ow·sw < W: lo = ceil(-iw0 / sw), hi = ceil((W - iw0) / sw).
          ${set('lo', '(i32.const 0)')}
          (if (i32.lt_s ${get('iw0')} (i32.const 0)) (then
            ${set('lo', `(i32.div_s (i32.add (i32.sub (i32.const 0) ${get('iw0')}) (i32.sub ${get('sw')} (i32.const 1))) ${get('sw')})`)}))
          ${set('hi', `(i32.div_s (i32.add (i32.sub ${get('W')} ${get('iw0')}) (i32.sub ${get('sw')} (i32.const 1))) ${get('sw')})`)}
          (if (i32.lt_s ${get('hi')} (i32.const 0)) (then ${set('hi', i32(0))}))
          (if (i32.gt_s ${get('hi')} ${get('OW')}) (then ${set('hi', get('OW'))}))
          (if (i32.gt_s ${get('lo')} ${get('hi')}) (then ${set('lo', get('hi'))}))
          ${forLoop(
            'oh',
            i32(0),
            get('OH'),
            i32(1),
            `${set('ih', `(i32.add (i32.sub ${mul(get('oh'), get('sh'))} ${get('ph')}) ${mul(get('kh'), get('dh'))})`)}
            ${set('row', at('mat', `(i32.add ${mul(get('k'), get('ld'))} ${mul(get('oh'), get('OW'))})`))}
            (if (i32.and (i32.ge_s ${get('ih')} (i32.const 0)) (i32.lt_s ${get('ih')} ${get('H')}))
              (then
                ${set('line', at('img', `(i32.add ${get('plane')} (i32.add ${mul(get('ih'), get('W'))} ${get('iw0')}))`))}
                ${validRow})
              (else ${padRow}))`,
          )}
          ${set('k', `(i32.add ${get('k')} (i32.const 1))`)}`,
        ),
      )}`,
    )})`;
}

/** Output columns [lo, hi) of this row: input at line + 4·ow·sw. */
const cols = (body) => `
  ${set('p', at('row', get('lo')))}
  ${set('q', `(i32.add ${get('line')} (i32.shl (i32.mul ${get('lo')} ${get('sw')}) (i32.const 2)))`)}
  ${forLoop(
    'ow',
    get('lo'),
    get('hi'),
    i32(1),
    `${body}
    ${set('p', `(i32.add ${get('p')} (i32.const 4))`)}
    ${set('q', `(i32.add ${get('q')} (i32.shl ${get('sw')} (i32.const 2)))`)}`,
  )}`;

export function convModule() {
  // Rows are short (OW floats): explicit loops, not memory.copy/fill, whose call costs more than that.
  const zeros = (from, to) => `
    ${set('p', at('row', from))}
    ${set('n4', `(i32.add ${from} (i32.and (i32.sub ${to} ${from}) (i32.const -4)))`)}
    ${forLoop('ow', from, get('n4'), i32(4), `(v128.store (local.get $p) (v128.const i32x4 0 0 0 0)) ${step('p', 16)}`)}
    ${forLoop('ow', get('n4'), to, i32(1), `(f32.store (local.get $p) (f32.const 0)) ${step('p', 4)}`)}`;
  // im2col: zeros outside the input; for stride 1 the valid run is copied four floats at a time.
  const vectorCopy = `
    ${set('p', at('row', get('lo')))}
    ${set('q', `(i32.add ${get('line')} (i32.shl ${get('lo')} (i32.const 2)))`)}
    ${set('n4', `(i32.add ${get('lo')} (i32.and (i32.sub ${get('hi')} ${get('lo')}) (i32.const -4)))`)}
    ${forLoop('ow', get('lo'), get('n4'), i32(4), `(v128.store (local.get $p) (v128.load (local.get $q))) ${step('p', 16)} ${step('q', 16)}`)}
    ${forLoop('ow', get('n4'), get('hi'), i32(1), `(f32.store (local.get $p) (f32.load (local.get $q))) ${step('p', 4)} ${step('q', 4)}`)}`;
  const gatherRow = `
    ${zeros(i32(0), get('lo'))}
    (if (i32.eq ${get('sw')} (i32.const 1))
      (then ${vectorCopy})
      (else ${cols('(f32.store (local.get $p) (f32.load (local.get $q)))')}))
    ${zeros(get('hi'), get('OW'))}`;
  const gatherPad = zeros(i32(0), get('OW'));
  // col2im: dst (the image's gradient) += the row; stride 1 adds four columns at a time.
  const vectorAdd = `
    ${set('p', at('row', get('lo')))}
    ${set('q', `(i32.add ${get('line')} (i32.shl ${get('lo')} (i32.const 2)))`)}
    ${set('n4', `(i32.add ${get('lo')} (i32.and (i32.sub ${get('hi')} ${get('lo')}) (i32.const -4)))`)}
    ${forLoop(
      'ow',
      get('lo'),
      get('n4'),
      i32(4),
      `(v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (v128.load (local.get $p))))
      ${set('p', `(i32.add ${get('p')} (i32.const 16))`)}
      ${set('q', `(i32.add ${get('q')} (i32.const 16))`)}`,
    )}
    ${forLoop(
      'ow',
      get('n4'),
      get('hi'),
      i32(1),
      `(f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (local.get $p))))
      ${set('p', `(i32.add ${get('p')} (i32.const 4))`)}
      ${set('q', `(i32.add ${get('q')} (i32.const 4))`)}`,
    )}`;
  const scatterRow = `
    (if (i32.eq ${get('sw')} (i32.const 1))
      (then ${vectorAdd})
      (else ${cols('(f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (local.get $p))))')}))`;
  // Both take (img, mat, ...): im2col reads img and writes mat, col2im adds mat into img.
  return [nest('im2col', gatherRow, gatherPad), nest('col2im', scatterRow, ''), biasAct(), convImages()].join(
    '\n',
  );
}

/**
 * Word offsets in the parameter block of conv_images; a and b are the operands (forward: x, w; input
 * gradient: ∂y, w; weight gradient: x, ∂y), the result c is an argument (each thread's own ∂w).
 */
export const CONV_PARAMS = ['a', 'b', 'C', 'H', 'W', 'O', ...WINDOW, 'OH', 'OW', 'G', 'bias', 'act'];
/** Bits of the forward pass's `act` word: add `bias` ([O] floats) per output channel, then ReLU. */
export const CONV_ACT = { bias: 1, relu: 2 };

/**
 * rows × cols floats at c (row stride cols), in place: + bias[r] where `bias` is set (act bit 1), then
 * max(·, 0) where ReLU is (bit 2; max keeps NaN, as torch.relu). One pass over an image's output while
 * it is still in cache, instead of two more passes over the whole batch.
 */
function biasAct() {
  const value = (load) => `
    ${set('v', `(f32x4.add ${load} ${get('bv')})`)}
    (if ${get('relu')} (then ${set('v', `(f32x4.max ${get('v')} (v128.const f32x4 0 0 0 0))`)}))`;
  return `
  (func $bias_act (export "bias_act") (param $c i32) (param $bias i32) (param $rows i32) (param $cols i32) (param $act i32)
    ${locals('i32', 'r', 'j', 'p', 'n4', 'relu')}
    ${locals('v128', 'bv', 'v')}
    ${set('relu', `(i32.and ${get('act')} (i32.const ${CONV_ACT.relu}))`)}
    ${set('n4', `(i32.and ${get('cols')} (i32.const -4))`)}
    ${set('p', get('c'))}
    ${forLoop(
      'r',
      i32(0),
      get('rows'),
      i32(1),
      `${set('bv', `(select (f32x4.splat (f32.load ${at('bias', get('r'))})) (v128.const f32x4 0 0 0 0) (i32.and ${get('act')} (i32.const ${CONV_ACT.bias})))`)}
      ${forLoop('j', i32(0), get('n4'), i32(4), `${value(`(v128.load ${get('p')})`)} (v128.store ${get('p')} ${get('v')}) ${step('p', 16)}`)}
      ${forLoop(
        'j',
        get('n4'),
        get('cols'),
        i32(1),
        `${value(`(f32x4.splat (f32.load ${get('p')}))`)} (f32.store ${get('p')} (f32x4.extract_lane 0 ${get('v')})) ${step('p', 4)}`,
      )}`,
    )})`;
}

/**
 * conv_images(kind, prm, n0, n1, cols, scratch, c): one of the three convolution passes over images
 * n0..n1, so that a worker thread can take a range of images in one job. kind 0: y = w·im2col(x),
 * then the bias and ReLU of `act` (CONV_ACT);
 * 1: ∂x = col2im(wᵀ·∂y), each image's ∂x zeroed first; 2: ∂w += ∂y·im2col(x)ᵀ (c is zeroed first:
 * each thread sums its images into its own ∂w). cols holds cg·KH·KW × OH·OW floats; scratch is the
 * GEMM's.
 */
function convImages() {
  const load = (name) => set(name, `(i32.load offset=${4 * CONV_PARAMS.indexOf(name)} ${get('prm')})`);
  const mul = (...xs) => xs.reduce((acc, x) => `(i32.mul ${acc} ${x})`);
  const ptr = (base, elems) => `(i32.add ${get(base)} (i32.shl ${elems} (i32.const 2)))`;
  const geometry = ['H', 'W', 'KH', 'KW', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OH', 'OW'].map(get).join(' ');
  // Element offsets of image n's group g in the input-side ([N, C, H, W]) and output-side ([N, O, P]) arrays.
  const inAt = mul(`(i32.add ${mul(get('n'), get('C'))} ${mul(get('g'), get('cg'))})`, get('H'), get('W'));
  const outAt = mul(`(i32.add ${mul(get('n'), get('O'))} ${mul(get('g'), get('og'))})`, get('P'));
  const im2col = (img) => `(call $im2col ${img} ${get('cols')} ${get('P')} ${get('cg')} ${geometry})`;
  const gemm = (a, b, c, M, N, K, tA, tB, acc) =>
    `(call $gemm ${a} ${b} ${c} ${M} ${N} ${K} (i32.const ${tA}) (i32.const ${tB}) (i32.const 0) ${M} ${get('scratch')} (i32.const ${acc}))`;
  const wAt = (base) => ptr(base, mul(get('g'), get('og'), get('K')));
  return `
  (func (export "conv_images") (param $kind i32) (param $prm i32) (param $n0 i32) (param $n1 i32)
      (param $cols i32) (param $scratch i32) (param $c i32)
    ${locals('i32', ...CONV_PARAMS, 'cg', 'og', 'K', 'P', 'n', 'g')}
    ${CONV_PARAMS.map(load).join('\n    ')}
    ${set('cg', `(i32.div_u ${get('C')} ${get('G')})`)}
    ${set('og', `(i32.div_u ${get('O')} ${get('G')})`)}
    ${set('K', mul(get('cg'), get('KH'), get('KW')))}
    ${set('P', mul(get('OH'), get('OW')))}
    (if (i32.eq ${get('kind')} (i32.const 2))
      (then (memory.fill ${get('c')} (i32.const 0) (i32.shl ${mul(get('O'), get('K'))} (i32.const 2)))))
    ${forLoop(
      'n',
      get('n0'),
      get('n1'),
      i32(1),
      `(if (i32.eq ${get('kind')} (i32.const 1))
        (then (memory.fill ${ptr('c', mul(get('n'), get('C'), get('H'), get('W')))} (i32.const 0)
          (i32.shl ${mul(get('C'), get('H'), get('W'))} (i32.const 2)))))
      ${forLoop(
        'g',
        i32(0),
        get('G'),
        i32(1),
        `(block $pass
          (if (i32.eqz ${get('kind')}) (then
            ${im2col(ptr('a', inAt))}
            ${gemm(wAt('b'), get('cols'), ptr('c', outAt), get('og'), get('P'), get('K'), 0, 0, 0)}
            (if ${get('act')} (then
              (call $bias_act ${ptr('c', outAt)} ${ptr('bias', mul(get('g'), get('og')))} ${get('og')} ${get('P')} ${get('act')})))
            (br $pass)))
          (if (i32.eq ${get('kind')} (i32.const 1)) (then
            ${gemm(wAt('b'), ptr('a', outAt), get('cols'), get('K'), get('P'), get('og'), 1, 0, 0)}
            (call $col2im ${ptr('c', inAt)} ${get('cols')} ${get('P')} ${get('cg')} ${geometry})
            (br $pass)))
          ${im2col(ptr('a', inAt))}
          ${gemm(ptr('b', outAt), get('cols'), wAt('c'), get('og'), get('K'), get('P'), 0, 1, 1)})`,
      )}`,
    )})`;
}
