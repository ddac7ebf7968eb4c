// GEMM in the style of BLIS/GotoBLAS: op(A) and op(B) are packed block by block into panels that the
// micro-kernel reads sequentially, so transposed operands only change the packing (and cost the same).
//
//   for jc in N by NC:           B block (KC×NC) packed into NR-column panels (lives in L2/L3)
//     for pc in K by KC:
//       for ic in rows by MC:    A block (MC×KC) packed into MR-row panels (lives in L2)
//         for jr in NC by NR:    one B panel (KC×NR, 8 KiB) stays in L1 ...
//           for ir in MC by MR:  ... while A panels stream past it: micro-kernel on a 4×8 tile of C
//
// The 4×8 register block needs 8 f32x4 accumulators + 2 B vectors + 1 A splat = 11 of the 16 SIMD
// registers V8 has on x64; larger blocks spill and lose ~40%. Tiles at the right/bottom edge run the same
// micro-kernel on a 4×8 scratch tile (panels are zero-padded) and copy the valid part.
import { get, set, i32, forLoop, locals, minI32, transpose4 } from './wat.mjs';

export const MR = 4;
export const NR = 8;
/**
 * Cache blocking (upper bounds: gemm splits each dimension into equal blocks no larger than these).
 * KC·NR·4 = 8 KiB B panel in L1; MC·KC·4 = 128 KiB A block in L2 (Zen 4: 32 KiB / 1 MiB). `order` 'ir-jr'
 * swaps the two innermost loops (A panel in L1, B panels streaming): no faster on the machines tried.
 */
export const GEMM_BLOCKS = { KC: 256, MC: 128, NC: 4096, order: 'jr-ir' };
const TILE_BYTES = MR * NR * 4;

/**
 * The block size for splitting `total` (an i32 expression) into ceil(total / max) equal blocks, rounded up
 * to a multiple of `mult` (max is a multiple of mult, so the result never exceeds max).
 */
const balanced = (total, max, mult) => {
  const blocks = `(i32.div_u (i32.add ${total} (i32.const ${max - 1})) (i32.const ${max}))`;
  return roundUp(`(i32.div_u (i32.add ${total} (i32.sub ${blocks} (i32.const 1))) ${blocks})`, mult);
};
const roundUp = (x, m) => `(i32.and (i32.add ${x} (i32.const ${m - 1})) (i32.const ${-m}))`;

export function gemmModule(v, blocks = GEMM_BLOCKS) {
  const { KC, MC, NC, order } = { ...GEMM_BLOCKS, ...blocks };
  return [
    scratchBytes(KC, MC, NC),
    gemm(KC, MC, NC),
    pack(MR),
    pack(NR),
    macroKernel(order),
    microKernel(v),
  ].join('\n');
}

/** Bytes of scratch `gemm` needs: the edge tile, the packed A block and the packed B block. */
function scratchBytes(KC, MC, NC) {
  return `
  (func $gemm_scratch_bytes (export "gemm_scratch_bytes") (param $M i32) (param $N i32) (param $K i32) (result i32)
    (local $kc i32) (local $mc i32) (local $nc i32)
    ${set('kc', minI32(get('K'), i32(KC)))}
    ${set('mc', roundUp(get('M'), MR))}
    ${set('mc', minI32(get('mc'), i32(MC)))}
    ${set('nc', roundUp(get('N'), NR))}
    ${set('nc', minI32(get('nc'), i32(NC)))}
    (i32.add (i32.const ${TILE_BYTES})
      (i32.shl (i32.mul ${get('kc')} (i32.add ${get('mc')} ${get('nc')})) (i32.const 2))))`;
}

function gemm(KC, MC, NC) {
  return `
  ;; C[i, :] = op(A)[i, :] · op(B) for rowStart <= i < rowEnd (C is M×N row-major); with acc set,
  ;; C[i, :] += … instead (convolution gradients sum over images this way).
  (func $gemm (export "gemm") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $N i32)
      (param $K i32) (param $tA i32) (param $tB i32) (param $r0 i32) (param $r1 i32) (param $scratch i32)
      (param $acc i32)
    ${locals('i32', 'sAi', 'sAk', 'sBj', 'sBk', 'ap', 'bp', 'jc', 'nc', 'pc', 'kc', 'ic', 'mc', 'nstep', 'kstep', 'mstep')}
    (if (i32.or (i32.ge_s ${get('r0')} ${get('r1')}) (i32.eqz ${get('N')})) (then (return)))
    ;; An empty sum: the rows are zero (or unchanged when accumulating).
    (if (i32.and (i32.eqz ${get('K')}) ${get('acc')}) (then (return)))
    (if (i32.eqz ${get('K')}) (then
      (memory.fill (i32.add ${get('c')} (i32.shl (i32.mul ${get('r0')} ${get('N')}) (i32.const 2)))
        (i32.const 0)
        (i32.shl (i32.mul (i32.sub ${get('r1')} ${get('r0')}) ${get('N')}) (i32.const 2)))
      (return)))
    ;; Element strides of op(A)[i, k] and op(B)[k, j]: a transpose only swaps them.
    ${set('sAi', `(select (i32.const 1) ${get('K')} ${get('tA')})`)}
    ${set('sAk', `(select ${get('M')} (i32.const 1) ${get('tA')})`)}
    ${set('sBj', `(select ${get('K')} (i32.const 1) ${get('tB')})`)}
    ${set('sBk', `(select (i32.const 1) ${get('N')} ${get('tB')})`)}
    ${set('ap', `(i32.add ${get('scratch')} (i32.const ${TILE_BYTES}))`)}
    ${set('mc', minI32(roundUp(get('M'), MR), i32(MC)))}
    ${set('kc', minI32(get('K'), i32(KC)))}
    ${set('bp', `(i32.add ${get('ap')} (i32.shl (i32.mul ${get('mc')} ${get('kc')}) (i32.const 2)))`)}
    ;; Equal blocks rather than full ones and a remainder (K = 784 runs as 264 + 264 + 256, not as
    ;; 3 × 256 + 16): a thin last block would pay a whole pass over C for little work.
    ${set('nstep', balanced(get('N'), NC, NR))}
    ${set('kstep', balanced(get('K'), KC, 4))}
    ${set('mstep', balanced(`(i32.sub ${get('r1')} ${get('r0')})`, MC, MR))}
    ${forLoop(
      'jc',
      i32(0),
      get('N'),
      get('nstep'),
      `
      ${set('nc', `(i32.sub ${get('N')} ${get('jc')})`)}
      ${set('nc', minI32(get('nc'), get('nstep')))}
      ${forLoop(
        'pc',
        i32(0),
        get('K'),
        get('kstep'),
        `
        ${set('kc', `(i32.sub ${get('K')} ${get('pc')})`)}
        ${set('kc', minI32(get('kc'), get('kstep')))}
        (call $pack${NR} ${get('b')} ${get('bp')} ${get('sBj')} ${get('sBk')} ${get('jc')} ${get('nc')} ${get('pc')} ${get('kc')})
        ${forLoop(
          'ic',
          get('r0'),
          get('r1'),
          get('mstep'),
          `
          ${set('mc', `(i32.sub ${get('r1')} ${get('ic')})`)}
          ${set('mc', minI32(get('mc'), get('mstep')))}
          (call $pack${MR} ${get('a')} ${get('ap')} ${get('sAi')} ${get('sAk')} ${get('ic')} ${get('mc')} ${get('pc')} ${get('kc')})
          (call $macro ${get('ap')} ${get('bp')}
            (i32.add ${get('c')} (i32.shl (i32.add (i32.mul ${get('ic')} ${get('N')}) ${get('jc')}) (i32.const 2)))
            (i32.shl ${get('N')} (i32.const 2)) ${get('mc')} ${get('nc')} ${get('kc')}
            (i32.or (i32.gt_s ${get('pc')} (i32.const 0)) ${get('acc')}) ${get('scratch')})`,
        )}`,
      )}`,
    )})`;
}

/**
 * pack<W>: copies rows r0..r0+nrows (the panel dimension: i of A, or j of B) × k0..k0+kc of a strided
 * matrix (element (r, k) at src[r·rs + k·ks]) into panels of W rows: panel p holds, for each k, its W
 * values side by side (dst[p·kc·W + k·W + q]); rows past the end are zero. Fast paths: rows contiguous
 * (rs = 1) copy whole vectors; k contiguous (ks = 1) transpose 4×4 blocks. Anything else goes scalar.
 */
function pack(W) {
  const groups = W / 4;
  const r = ['r0', 'r1', 'r2', 'r3'];
  const t = ['t0', 't1', 't2', 't3'];
  const col = ['c0', 'c1', 'c2', 'c3'];
  const elem = (q) =>
    `(i32.add ${get('base')} (i32.shl (i32.add (i32.mul ${q} ${get('rs')}) (i32.mul ${get('k')} ${get('ks')})) (i32.const 2)))`;
  const dstAt = (k, q) =>
    `(i32.add ${get('pd')} (i32.shl (i32.add (i32.mul ${k} (i32.const ${W})) ${q}) (i32.const 2)))`;
  // Scalar copy of k in [k, kc): zero the W slots of each k with vector stores, then copy the w valid ones.
  const zeroSlots = Array.from(
    { length: groups },
    (_, g) => `(v128.store offset=${16 * g} ${dstAt(get('k'), i32(0))} (v128.const i32x4 0 0 0 0))`,
  ).join('\n');
  const scalar = `
    (block $done_s (loop $k_s
      (br_if $done_s (i32.ge_s ${get('k')} ${get('kc')}))
      ${zeroSlots}
      ${forLoop('q', i32(0), get('w'), i32(1), `(f32.store ${dstAt(get('k'), get('q'))} (f32.load ${elem(get('q'))}))`)}
      ${set('k', `(i32.add ${get('k')} (i32.const 1))`)}
      (br $k_s)))`;
  const copyRows = Array.from(
    { length: groups },
    (_, g) => `(v128.store offset=${16 * g} ${get('d')} (v128.load offset=${16 * g} ${get('s')}))`,
  ).join('\n');
  const transposeGroups = Array.from({ length: groups }, (_, g) => {
    const loads = r.map((name, q) => set(name, `(v128.load ${elem(i32(4 * g + q))})`)).join('\n');
    const stores = col
      .map(
        (name, tt) =>
          `(v128.store ${dstAt(`(i32.add ${get('k')} (i32.const ${tt}))`, i32(4 * g))} ${get(name)})`,
      )
      .join('\n');
    return `${loads}\n${transpose4(r, t, col)}\n${stores}`;
  }).join('\n');
  return `
  (func $pack${W} (param $src i32) (param $dst i32) (param $rs i32) (param $ks i32) (param $row0 i32)
      (param $nrows i32) (param $k0 i32) (param $kc i32)
    ${locals('i32', 'p', 'w', 'base', 'pd', 'k', 'q', 's', 'd', 'sstep')}
    ${locals('v128', ...r, ...t, ...col)}
    ${forLoop(
      'p',
      i32(0),
      get('nrows'),
      i32(W),
      `
      ${set('w', `(i32.sub ${get('nrows')} ${get('p')})`)}
      ${set('w', minI32(get('w'), i32(W)))}
      ${set('base', `(i32.add ${get('src')} (i32.shl (i32.add (i32.mul (i32.add ${get('row0')} ${get('p')}) ${get('rs')}) (i32.mul ${get('k0')} ${get('ks')})) (i32.const 2)))`)}
      ${set('pd', `(i32.add ${get('dst')} (i32.shl (i32.mul ${get('p')} ${get('kc')}) (i32.const 2)))`)}
      ${set('k', i32(0))}
      (if (i32.eq ${get('w')} (i32.const ${W})) (then
        (if (i32.eq ${get('rs')} (i32.const 1))
          (then
            ;; The W values of one k are contiguous in the source: copy them as vectors.
            ${set('s', get('base'))}
            ${set('d', get('pd'))}
            ${set('sstep', `(i32.shl ${get('ks')} (i32.const 2))`)}
            (block $done_c (loop $k_c
              (br_if $done_c (i32.ge_s ${get('k')} ${get('kc')}))
              ${copyRows}
              ${set('s', `(i32.add ${get('s')} ${get('sstep')})`)}
              ${set('d', `(i32.add ${get('d')} (i32.const ${4 * W}))`)}
              ${set('k', `(i32.add ${get('k')} (i32.const 1))`)}
              (br $k_c))))
          (else (if (i32.eq ${get('ks')} (i32.const 1)) (then
            ;; Each row is contiguous along k: transpose 4 rows × 4 k at a time.
            (block $done_t (loop $k_t
              (br_if $done_t (i32.gt_s (i32.add ${get('k')} (i32.const 4)) ${get('kc')}))
              ${transposeGroups}
              ${set('k', `(i32.add ${get('k')} (i32.const 4))`)}
              (br $k_t)))))))))
      ${scalar}`,
    )})`;
}

/** Runs the micro-kernel over all 4×8 tiles of an mc×nc block of C (row stride ldc bytes). */
function macroKernel(order) {
  const tileCopy = (toTile) =>
    forLoop(
      'i',
      i32(0),
      get('mr'),
      i32(1),
      forLoop(
        'j',
        i32(0),
        get('nr'),
        i32(1),
        (() => {
          const tileAt = `(i32.add ${get('tile')} (i32.shl (i32.add (i32.shl ${get('i')} (i32.const 3)) ${get('j')}) (i32.const 2)))`;
          const cAt = `(i32.add ${get('cp')} (i32.add (i32.mul ${get('i')} ${get('ldc')}) (i32.shl ${get('j')} (i32.const 2))))`;
          return toTile
            ? `(f32.store ${tileAt} (f32.load ${cAt}))`
            : `(f32.store ${cAt} (f32.load ${tileAt}))`;
        })(),
      ),
    );
  const jrSetup = `
      ${set('nr', `(i32.sub ${get('nc')} ${get('jr')})`)}
      ${set('nr', minI32(get('nr'), i32(NR)))}
      ${set('bpanel', `(i32.add ${get('bp')} (i32.shl (i32.mul ${get('jr')} ${get('kc')}) (i32.const 2)))`)}`;
  const irSetup = `
      ${set('mr', `(i32.sub ${get('mc')} ${get('ir')})`)}
      ${set('mr', minI32(get('mr'), i32(MR)))}
      ${set('apanel', `(i32.add ${get('ap')} (i32.shl (i32.mul ${get('ir')} ${get('kc')}) (i32.const 2)))`)}`;
  const tile = `
      ${set('cp', `(i32.add ${get('c')} (i32.add (i32.mul ${get('ir')} ${get('ldc')}) (i32.shl ${get('jr')} (i32.const 2))))`)}
      (if (i32.and (i32.eq ${get('mr')} (i32.const ${MR})) (i32.eq ${get('nr')} (i32.const ${NR})))
        (then (call $kernel ${get('kc')} ${get('apanel')} ${get('bpanel')} ${get('cp')} ${get('ldc')} ${get('acc')}))
        (else
          ;; Edge tile: run on the scratch tile (row stride NR floats), copy the valid part.
          (if ${get('acc')} (then ${tileCopy(true)}))
          (call $kernel ${get('kc')} ${get('apanel')} ${get('bpanel')} ${get('tile')} (i32.const ${NR * 4}) ${get('acc')})
          ${tileCopy(false)}))`;
  const jrLoop = (body) => forLoop('jr', i32(0), get('nc'), i32(NR), `${jrSetup}\n${body}`);
  const irLoop = (body) => forLoop('ir', i32(0), get('mc'), i32(MR), `${irSetup}\n${body}`);
  return `
  (func $macro (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32) (param $mc i32) (param $nc i32)
      (param $kc i32) (param $acc i32) (param $tile i32)
    ${locals('i32', 'jr', 'ir', 'nr', 'mr', 'cp', 'apanel', 'bpanel', 'i', 'j')}
    ${order === 'jr-ir' ? jrLoop(irLoop(tile)) : irLoop(jrLoop(tile))})`;
}

/**
 * The 4×8 micro-kernel: C[0:4, 0:8] (+)= Ap · Bp over k steps, where Ap holds 4 floats and Bp 8 floats
 * per k. `acc` = 1 adds to C (later K blocks), 0 overwrites it.
 */
function microKernel(v) {
  const acc = (i, h) => `c${i}${h}`;
  const names = [];
  for (let i = 0; i < MR; i++) for (let h = 0; h < NR / 4; h++) names.push(acc(i, h));
  const rowPtr = (i) => (i === 0 ? get('c') : get(`c${i}p`));
  const step = (u) => {
    const lines = [
      set('b0', `(v128.load offset=${32 * u} ${get('bp')})`),
      set('b1', `(v128.load offset=${32 * u + 16} ${get('bp')})`),
    ];
    for (let i = 0; i < MR; i++) {
      lines.push(set('av', `(v128.load32_splat offset=${16 * u + 4 * i} ${get('ap')})`));
      lines.push(set(acc(i, 0), v.fma(get('av'), get('b0'), get(acc(i, 0)))));
      lines.push(set(acc(i, 1), v.fma(get('av'), get('b1'), get(acc(i, 1)))));
    }
    return lines.join('\n');
  };
  const advance = (u) => `
    ${set('ap', `(i32.add ${get('ap')} (i32.const ${16 * u}))`)}
    ${set('bp', `(i32.add ${get('bp')} (i32.const ${32 * u}))`)}
    ${set('k', `(i32.sub ${get('k')} (i32.const ${u}))`)}`;
  const loads = names
    .map((n, idx) => set(n, `(v128.load offset=${16 * (idx % 2)} ${rowPtr(idx >> 1)})`))
    .join('\n');
  const stores = names
    .map((n, idx) => `(v128.store offset=${16 * (idx % 2)} ${rowPtr(idx >> 1)} ${get(n)})`)
    .join('\n');
  return `
  (func $kernel (param $k i32) (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32) (param $acc i32)
    ${locals('v128', ...names, 'b0', 'b1', 'av')}
    ${locals('i32', 'c1p', 'c2p', 'c3p')}
    ${set('c1p', `(i32.add ${get('c')} ${get('ldc')})`)}
    ${set('c2p', `(i32.add ${get('c1p')} ${get('ldc')})`)}
    ${set('c3p', `(i32.add ${get('c2p')} ${get('ldc')})`)}
    ;; Locals start at zero, so only accumulation needs to load C.
    (if ${get('acc')} (then ${loads}))
    ;; kc >= 1 always, so a do-while loop. No unrolling: in V8 an unrolled body spills (measured ~25% slower).
    (loop $k_1
      ${step(0)}
      ${advance(1)}
      (br_if $k_1 (i32.gt_s ${get('k')} (i32.const 0))))
    ${stores})`;
}
