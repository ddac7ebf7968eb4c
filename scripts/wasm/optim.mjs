// The Adam/AdamW step in place, four parameters at a time, in float32 like PyTorch's float32 Adam
// (the same operations in the same order: m·β1 + g·(1 − β1), v·β2 + g·g·(1 − β2), √v / √(1 − β2ᵗ) + ε).
import { get, set, i32, forLoop, locals } from './wat.mjs';

const at = (p, i) => `(i32.add ${get(p)} (i32.shl ${get(i)} (i32.const 2)))`;

/** One step on four lanes (V = 'f32x4') or one (V = 'f32'); s(x) splats a scalar for the vector form. */
function body(V, load, store, s) {
  const op = (name, ...args) => `(${V}.${name} ${args.join(' ')})`;
  return `
    ${set(`g${V}`, load('g'))}
    (if ${get('maximize')} (then ${set(`g${V}`, op('neg', get(`g${V}`)))}))
    ${set(`p${V}`, load('p'))}
    (if ${get('decoupled')}
      (then ${set(`p${V}`, op('mul', get(`p${V}`), s(get('decay'))))})
      (else ${set(`g${V}`, op('add', get(`g${V}`), op('mul', get(`p${V}`), s(get('l2')))))}))
    ${set(`m${V}`, op('add', op('mul', load('m'), s(get('beta1'))), op('mul', get(`g${V}`), s(get('c1')))))}
    ${set(`v${V}`, op('add', op('mul', load('v'), s(get('beta2'))), op('mul', op('mul', get(`g${V}`), get(`g${V}`)), s(get('c2')))))}
    ${store('m', get(`m${V}`))}
    ${store('v', get(`v${V}`))}
    ${store(
      'p',
      op(
        'add',
        get(`p${V}`),
        op(
          'div',
          op('mul', get(`m${V}`), s(get('negStep'))),
          op('add', op('div', op('sqrt', get(`v${V}`)), s(get('bc2'))), s(get('eps'))),
        ),
      ),
    )}`;
}

/** Word offsets of adam_step_block's parameter block: the f32 hyper-parameters, then two i32 flags. */
export const ADAM_PARAMS = [
  'beta1',
  'beta2',
  'c1',
  'c2',
  'l2',
  'decay',
  'negStep',
  'bc2',
  'eps',
  'decoupled',
  'maximize',
];

/** adam_step with its hyper-parameters read from the words at prm: a worker thread's job (i32 arguments). */
function adamStepBlock() {
  const load = (name, i) =>
    `(${i < ADAM_PARAMS.length - 2 ? 'f32' : 'i32'}.load offset=${4 * i} ${get('prm')})`;
  return `
  (func (export "adam_step_block") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
      (param $prm i32)
    (call $adam_step ${['p', 'g', 'm', 'v', 'n'].map(get).join(' ')} ${ADAM_PARAMS.map(load).join(' ')}))`;
}

export function optimModule() {
  const vload = (a) => `(v128.load ${at(a, 'i')})`;
  const vstore = (a, x) => `(v128.store ${at(a, 'i')} ${x})`;
  const sload = (a) => `(f32.load ${at(a, 'i')})`;
  const sstore = (a, x) => `(f32.store ${at(a, 'i')} ${x})`;
  const splat = (x) => `(f32x4.splat ${x})`;
  // adam_step's f32 parameters: ADAM_PARAMS less the two i32 flags at its end.
  const params = ADAM_PARAMS.slice(0, -2)
    .map((p) => `(param $${p} f32)`)
    .join(' ');
  return `
  ;; decoupled: p·decay (AdamW), else g + p·l2 (Adam's L2; l2 = 0 without decay). negStep = −lr / (1 − β1ᵗ),
  ;; bc2 = √(1 − β2ᵗ).
  (func $adam_step (export "adam_step") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
      ${params} (param $decoupled i32) (param $maximize i32)
    ${locals('i32', 'i', 'n4')}
    ${locals('v128', 'gf32x4', 'pf32x4', 'mf32x4', 'vf32x4')}
    ${locals('f32', 'gf32', 'pf32', 'mf32', 'vf32')}
    ${set('n4', `(i32.and ${get('n')} (i32.const -4))`)}
    ${forLoop('i', i32(0), get('n4'), i32(4), body('f32x4', vload, vstore, splat))}
    ${forLoop(
      'i',
      get('n4'),
      get('n'),
      i32(1),
      body('f32', sload, sstore, (x) => x),
    )})
  ${adamStepBlock()}`;
}
