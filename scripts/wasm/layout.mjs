// Strided copies (asStrided, im2col) and their adjoint scatter-adds (col2im), over 4 innermost dims;
// the backend loops over any outer dims. Elements are 4 bytes, so float32 and int32 both use them.
import { get, set, i32, forLoop, locals } from './wat.mjs';

const DIMS = ['n0', 's0', 'n1', 's1', 'n2', 's2', 'n3', 's3'];

/** out-of-line loop nest: body runs with $p = src + 4·Σ i_k·s_k and $d walking dst by 4 bytes. */
function nest(name, inner) {
  const params = ['src', 'dst', ...DIMS].map((p) => `(param $${p} i32)`).join(' ');
  const step = (k) => `(i32.shl ${get(`s${k}`)} (i32.const 2))`;
  return `
  (func (export "${name}") ${params}
    ${locals('i32', 'i0', 'i1', 'i2', 'i3', 'p0', 'p1', 'p2', 'p', 'd', 'b0', 'b1', 'b2', 'b3')}
    ${set('b0', step(0))} ${set('b1', step(1))} ${set('b2', step(2))} ${set('b3', step(3))}
    ${set('d', get('dst'))}
    ${set('p0', get('src'))}
    ${forLoop(
      'i0',
      i32(0),
      get('n0'),
      i32(1),
      `${set('p1', get('p0'))}
      ${forLoop(
        'i1',
        i32(0),
        get('n1'),
        i32(1),
        `${set('p2', get('p1'))}
        ${forLoop(
          'i2',
          i32(0),
          get('n2'),
          i32(1),
          `${inner}
          ${set('p2', `(i32.add ${get('p2')} ${get('b2')})`)}`,
        )}
        ${set('p1', `(i32.add ${get('p1')} ${get('b1')})`)}`,
      )}
      ${set('p0', `(i32.add ${get('p0')} ${get('b0')})`)}`,
    )})`;
}

export function layoutModule() {
  // gather: dst[...] = src[...]; a contiguous innermost row is one memory.copy.
  const gatherRow = `
    (if (i32.and (i32.eq ${get('s3')} (i32.const 1)) (i32.ge_u ${get('n3')} (i32.const 16)))
      (then
        (memory.copy ${get('d')} ${get('p2')} (i32.shl ${get('n3')} (i32.const 2)))
        ${set('d', `(i32.add ${get('d')} (i32.shl ${get('n3')} (i32.const 2)))`)})
      (else
        ${set('p', get('p2'))}
        ${forLoop(
          'i3',
          i32(0),
          get('n3'),
          i32(1),
          `(i32.store ${get('d')} (i32.load ${get('p')}))
          ${set('d', `(i32.add ${get('d')} (i32.const 4))`)}
          ${set('p', `(i32.add ${get('p')} ${get('b3')})`)}`,
        )}))`;
  // scatter-add: src here is the strided destination (the base), dst the contiguous source.
  const scatterRow = `
    ${set('p', get('p2'))}
    ${forLoop(
      'i3',
      i32(0),
      get('n3'),
      i32(1),
      `(f32.store ${get('p')} (f32.add (f32.load ${get('p')}) (f32.load ${get('d')})))
      ${set('d', `(i32.add ${get('d')} (i32.const 4))`)}
      ${set('p', `(i32.add ${get('p')} ${get('b3')})`)}`,
    )}`;
  return [nest('strided_gather', gatherRow), nest('strided_scatter_add', scatterRow)].join('\n');
}
