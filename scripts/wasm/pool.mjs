// Max pooling (values and the position of each window's maximum), its one-pass backward, and the row
// scatter-add (the wasm backend's scatterAdd along the last axis).
import { get, set, i32, forLoop, locals, shuffle4 } from './wat.mjs';
import { WINDOW } from './conv.mjs';

const at = (p, i) => `(i32.add ${get(p)} (i32.shl ${i} (i32.const 2)))`;
const inside = (v, n) => `(i32.and (i32.ge_s ${v} (i32.const 0)) (i32.lt_s ${v} ${n}))`;

/**
 * v (just loaded, at plane position `pos`) against the running maximum m and its position best: taken
 * when v > m, at the first position, or when v is NaN (so the last NaN wins, as in PyTorch). Integer
 * selects (conditional moves), not branches, which random data would mispredict half the time.
 */
const update = (pos) => `
  ${set(
    'take',
    `(i32.or (i32.or (f32.gt ${get('v')} ${get('m')}) (i32.lt_s ${get('best')} (i32.const 0)))
      (f32.ne ${get('v')} ${get('v')}))`,
  )}
  ${set('m', `(f32.reinterpret_i32 (select (i32.reinterpret_f32 ${get('v')}) (i32.reinterpret_f32 ${get('m')}) ${get('take')}))`)}
  ${set('best', `(select ${pos} ${get('best')} ${get('take')})`)}`;

/** Window element at (row + dr, 2·ow + dc) of a 2×2 window. */
const consider = (dr, dc) => `
  ${set('pos', `(i32.add (i32.add ${get('row')} ${dr}) (i32.add (i32.shl ${get('ow')} (i32.const 1)) (i32.const ${dc})))`)}
  ${set('v', `(f32.load ${at('base', get('pos'))})`)}
  ${update(get('pos'))}`;

/** For each plane ($base its first input) and output row $oh: `body`. */
const eachRow = (body) =>
  forLoop(
    'plane',
    i32(0),
    get('planes'),
    i32(1),
    `${set('base', at('x', `(i32.mul ${get('plane')} (i32.mul ${get('H')} ${get('W')}))`))}
    ${forLoop('oh', i32(0), get('OH'), i32(1), body)}`,
  );

/**
 * For each plane, output row ($oh; `perRow` first) and output column ($ow): `perOutput` leaves the
 * window's maximum in $m and its position in $best, which are stored at output $o.
 */
const eachOutput = (perRow, perOutput) =>
  eachRow(
    `${perRow}
    ${forLoop(
      'ow',
      i32(0),
      get('OW'),
      i32(1),
      `${perOutput}
      (f32.store ${at('vals', get('o'))} ${get('m')})
      (i32.store ${at('idx', get('o'))} ${get('best')})
      ${set('o', `(i32.add ${get('o')} (i32.const 1))`)}`,
    )}`,
  );

/**
 * A window element v (lanes of four windows) at positions pos against the running maxima vm and their
 * positions vbest: the same rule as `update`, lane by lane, with bit selects.
 */
const updateLanes = (v, pos) => `
  ${set('vtake', `(v128.or (f32x4.gt ${v} ${get('vm')}) (f32x4.ne ${v} ${v}))`)}
  ${set('vm', `(v128.bitselect ${v} ${get('vm')} ${get('vtake')})`)}
  ${set('vbest', `(v128.bitselect ${pos} ${get('vbest')} ${get('vtake')})`)}`;

/**
 * Four 2×2 windows (output columns ow..ow+3) at once: input columns 2·ow..2·ow+7 of both rows, split
 * into even and odd columns by shuffles. The last input column read, 2·ow+7, is the right column of
 * window ow+3, so nothing past the row is read.
 */
const four2x2 = () => {
  const evenOdd = (dr, name) => `
    ${set('lo', `(v128.load ${at('base', `(i32.add (i32.add ${get('row')} ${dr}) (i32.shl ${get('ow')} (i32.const 1)))`)})`)}
    ${set('hi', `(v128.load offset=16 ${at('base', `(i32.add (i32.add ${get('row')} ${dr}) (i32.shl ${get('ow')} (i32.const 1)))`)})`)}
    ${set(`${name}e`, shuffle4(get('lo'), get('hi'), [0, 2, 4, 6]))}
    ${set(`${name}o`, shuffle4(get('lo'), get('hi'), [1, 3, 5, 7]))}`;
  const pos = (dr, dc) => `(i32x4.add ${get('vpos')} (i32x4.splat (i32.add ${dr} (i32.const ${dc}))))`;
  return `
    ${evenOdd(i32(0), 't')}
    ${evenOdd(get('W'), 'u')}
    ${set('vpos', `(i32x4.add (i32x4.splat (i32.add ${get('row')} (i32.shl ${get('ow')} (i32.const 1)))) (v128.const i32x4 0 2 4 6))`)}
    ${set('vm', get('te'))}
    ${set('vbest', get('vpos'))}
    ${updateLanes(get('to'), pos(i32(0), 1))}
    ${updateLanes(get('ue'), pos(get('W'), 0))}
    ${updateLanes(get('uo'), pos(get('W'), 1))}
    ${set('o', `(i32.add ${get('orow')} ${get('ow')})`)}
    (v128.store ${at('vals', get('o'))} ${get('vm')})
    (v128.store ${at('idx', get('o'))} ${get('vbest')})`;
};

/** One 2×2 window with stride 2 and no padding: four loads, no loops or bounds. */
const one2x2 = () => `
  ${set('best', `(i32.add ${get('row')} (i32.shl ${get('ow')} (i32.const 1)))`)}
  ${set('m', `(f32.load ${at('base', get('best'))})`)}
  ${consider(i32(0), 1)}
  ${consider(get('W'), 0)}
  ${consider(get('W'), 1)}
  ${set('o', `(i32.add ${get('orow')} ${get('ow')})`)}
  (f32.store ${at('vals', get('o'))} ${get('m')})
  (i32.store ${at('idx', get('o'))} ${get('best')})`;

/**
 * 2×2 windows with stride 2 and no padding: four windows per step; a row's last 1-3 windows by one
 * more step over its last four (computing some twice, with the same result), or one by one in rows
 * shorter than four.
 */
const pool2x2 = () =>
  eachRow(
    `${set('row', `(i32.mul (i32.shl ${get('oh')} (i32.const 1)) ${get('W')})`)}
    ${set('orow', `(i32.mul (i32.add (i32.mul ${get('plane')} ${get('OH')}) ${get('oh')}) ${get('OW')})`)}
    (if (i32.lt_s ${get('OW')} (i32.const 4))
      (then ${forLoop('ow', i32(0), get('OW'), i32(1), one2x2())})
      (else
        ${forLoop('ow', i32(0), `(i32.sub ${get('OW')} (i32.const 3))`, i32(4), four2x2())}
        ;; forLoop leaves ow at the first window not done.
        (if (i32.lt_s ${get('ow')} ${get('OW')}) (then
          ${set('ow', `(i32.sub ${get('OW')} (i32.const 4))`)}
          ${four2x2()}))))`,
  );

/** Word offsets in maxpool2d's parameter block: the plane's size, the output's, the window. */
export const POOL_PARAMS = ['H', 'W', 'OH', 'OW', ...WINDOW];

/**
 * vals[o] = the maximum of window o of x ([planes, H, W]), idx[o] = its position h·W + w in the plane:
 * the first maximum, or the last NaN (as in PyTorch); positions in the padding are skipped.
 * The geometry is read from the words at prm (POOL_PARAMS), so a worker thread takes a range of planes
 * in one job.
 */
function maxpool() {
  const load = (name, i) => set(name, `(i32.load offset=${4 * i} ${get('prm')})`);
  return `
  (func (export "maxpool2d") (param $x i32) (param $vals i32) (param $idx i32) (param $planes i32) (param $prm i32)
    ${locals('i32', ...POOL_PARAMS)}
    ${locals('i32', 'plane', 'oh', 'ow', 'a', 'b', 'r', 'c', 'base', 'best', 'o', 'take')}
    ${locals('f32', 'v', 'm')}
    ${locals('i32', 'row', 'pos', 'orow')}
    ${locals('v128', 'vm', 'vbest', 'vtake', 'vpos', 'lo', 'hi', 'te', 'to', 'ue', 'uo')}
    ${POOL_PARAMS.map(load).join('\n    ')}
    ${set('o', i32(0))}
    ;; 2×2 windows with stride 2 and no padding: nearly every CNN.
    (if (i32.and
          (i32.and (i32.and (i32.eq ${get('KH')} (i32.const 2)) (i32.eq ${get('KW')} (i32.const 2)))
                   (i32.and (i32.eq ${get('sh')} (i32.const 2)) (i32.eq ${get('sw')} (i32.const 2))))
          (i32.and (i32.and (i32.eqz (i32.or ${get('ph')} ${get('pw')}))
                            (i32.and (i32.eq ${get('dh')} (i32.const 1)) (i32.eq ${get('dw')} (i32.const 1))))
                   ;; Every window inside the plane (ceil mode's last one may hang over the edge).
                   (i32.and (i32.le_s (i32.shl ${get('OH')} (i32.const 1)) ${get('H')})
                            (i32.le_s (i32.shl ${get('OW')} (i32.const 1)) ${get('W')}))))
      (then ${pool2x2()} (return)))
    ${eachOutput(
      '',
      `${set('best', i32(-1))}
      ${set('m', '(f32.const -inf)')}
      ${forLoop(
        'a',
        i32(0),
        get('KH'),
        i32(1),
        `${set('r', `(i32.add (i32.sub (i32.mul ${get('oh')} ${get('sh')}) ${get('ph')}) (i32.mul ${get('a')} ${get('dh')}))`)}
        (if ${inside(get('r'), get('H'))} (then
          ${forLoop(
            'b',
            i32(0),
            get('KW'),
            i32(1),
            `${set('c', `(i32.add (i32.sub (i32.mul ${get('ow')} ${get('sw')}) ${get('pw')}) (i32.mul ${get('b')} ${get('dw')}))`)}
            (if ${inside(get('c'), get('W'))} (then
              ${set('pos', `(i32.add (i32.mul ${get('r')} ${get('W')}) ${get('c')})`)}
              ${set('v', `(f32.load ${at('base', get('pos'))})`)}
              ${update(get('pos'))}))`,
          )}))`,
      )}`,
    )}
  )`;
}

/**
 * out[r·n + index[r·m + j]] += src[r·m + j] for every row r < rows, j < m. Returns 0, or 1 without
 * writing anything past a bad index (one outside [0, n)), so that the caller can report it.
 */
function scatterAddRows() {
  return `
  (func $scatter_add_rows (export "scatter_add_rows") (param $out i32) (param $index i32) (param $src i32) (param $rows i32)
      (param $n i32) (param $m i32) (result i32)
    ${locals('i32', 'r', 'j', 'k', 'row', 'at')}
    ;; Check first: a partial update would leave the output half-written.
    ${forLoop(
      'k',
      i32(0),
      `(i32.mul ${get('rows')} ${get('m')})`,
      i32(1),
      `(if (i32.eqz ${inside(`(i32.load ${at('index', get('k'))})`, get('n'))}) (then (return (i32.const 1))))`,
    )}
    ${set('k', i32(0))}
    ${forLoop(
      'r',
      i32(0),
      get('rows'),
      i32(1),
      `${set('row', at('out', `(i32.mul ${get('r')} ${get('n')})`))}
      ${forLoop(
        'j',
        i32(0),
        get('m'),
        i32(1),
        `${set('at', `(i32.add ${get('row')} (i32.shl (i32.load ${at('index', get('k'))}) (i32.const 2)))`)}
        (f32.store ${get('at')} (f32.add (f32.load ${get('at')}) (f32.load ${at('src', get('k'))})))
        ${set('k', `(i32.add ${get('k')} (i32.const 1))`)}`,
      )}`,
    )}
    (i32.const 0))`;
}

/**
 * Max pooling's backward over planes: gx[plane] = 0, then scatter_add_rows adds the plane's P values of
 * gy at their positions (idx from maxpool2d: positions in a plane of HW elements). One pass instead of
 * zeros, a copy and a scatter-add. A position outside the plane stops it with 1 stored at `bad` (a word
 * of its own per thread), nothing written past it.
 */
function maxpoolBackward() {
  const plane = (p, n) => `(i32.add ${get(p)} (i32.shl (i32.mul ${get('plane')} ${n}) (i32.const 2)))`;
  return `
  (func (export "maxpool2d_backward") (param $gy i32) (param $idx i32) (param $gx i32) (param $planes i32)
      (param $HW i32) (param $P i32) (param $bad i32)
    ${locals('i32', 'plane')}
    ${forLoop(
      'plane',
      i32(0),
      get('planes'),
      i32(1),
      `(memory.fill ${plane('gx', get('HW'))} (i32.const 0) (i32.shl ${get('HW')} (i32.const 2)))
      (if (call $scatter_add_rows ${plane('gx', get('HW'))} ${plane('idx', get('P'))} ${plane('gy', get('P'))}
            (i32.const 1) ${get('HW')} ${get('P')})
        (then (i32.store ${get('bad')} (i32.const 1)) (return)))`,
    )})`;
}

export function poolModule() {
  return [maxpool(), maxpoolBackward(), scatterAddRows()].join('\n');
}
