// Small helpers that print WebAssembly text (WAT) in folded form. The kernels are written as JS template
// functions so that one source yields both module variants (plain SIMD and relaxed-SIMD FMA) and so that
// short vector routines (exp, log, ...) are inlined where they are used: V8 does not inline wasm calls.

/** A variant of the module: `relaxed` turns every fma() into one relaxed-SIMD fused multiply-add. */
export function variant(relaxed) {
  return {
    relaxed,
    /** a·b + c on f32x4 (fused when the runtime fuses relaxed_madd; either rounding is acceptable). */
    fma: (a, b, c) =>
      relaxed ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`,
  };
}

let labelCounter = 0;
/** Unique block/loop labels: nested loops in generated code must not collide. */
export function label(name) {
  labelCounter += 1;
  return `$${name}_${labelCounter}`;
}

export const get = (name) => `(local.get $${name})`;
export const set = (name, value) => `(local.set $${name} ${value})`;
export const i32 = (n) => `(i32.const ${n})`;
export const f32 = (x) => `(f32.const ${fmtF32(x)})`;
export const splat = (x) => `(v128.const f32x4 ${Array(4).fill(fmtF32(x)).join(' ')})`;
export const isplat = (n) => `(v128.const i32x4 ${n} ${n} ${n} ${n})`;

/** Float literals for WAT: keep full precision and spell the special values as WAT expects. */
function fmtF32(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Byte address of element `index` (an i32 expression) of a float array at byte offset `base`. */
export const addr = (base, index) => `(i32.add ${base} (i32.shl ${index} (i32.const 2)))`;

/**
 * `for (counter = start; counter < end; counter += step) body` with signed comparison. `end` is
 * re-evaluated each iteration, so pass a local or a constant.
 */
export function forLoop(counter, start, end, step, body) {
  const brk = label('brk');
  const cont = label('loop');
  return `
    ${set(counter, start)}
    (block ${brk} (loop ${cont}
      (br_if ${brk} (i32.ge_s ${get(counter)} ${end}))
      ${body}
      ${set(counter, `(i32.add ${get(counter)} ${step})`)}
      (br ${cont})))`;
}

/** Local declarations: locals('i32', 'i', 'j') -> (local $i i32) (local $j i32). */
export function locals(type, ...names) {
  return names.map((n) => `(local $${n} ${type})`).join(' ');
}

/** The smaller of two signed i32 expressions (evaluated twice: pass locals or constants). */
export const minI32 = (a, b) => `(select ${a} ${b} (i32.lt_s ${a} ${b}))`;

/** The four lanes of the f32x4 expression v (evaluated four times: pass a local) folded by the f32 op:
 * (l0 op l1) op (l2 op l3). */
export const laneFold = (op, v) =>
  `(${op} (${op} (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (${op} (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

/**
 * A lane shuffle of two f32x4 vectors by float lanes (0-3 pick from `a`, 4-7 from `b`), spelled as the
 * byte shuffle that WAT requires.
 */
export function shuffle4(a, b, lanes) {
  const bytes = lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  return `(i8x16.shuffle ${bytes.join(' ')} ${a} ${b})`;
}

/**
 * Transposes the 4×4 block held in locals r0..r3 (rows) into c0..c3 (columns) with 8 shuffles, using
 * t0..t3 as temporaries. All names are local names without `$`.
 */
export function transpose4(r, t, c) {
  return `
    ${set(t[0], shuffle4(get(r[0]), get(r[1]), [0, 4, 1, 5]))}
    ${set(t[1], shuffle4(get(r[0]), get(r[1]), [2, 6, 3, 7]))}
    ${set(t[2], shuffle4(get(r[2]), get(r[3]), [0, 4, 1, 5]))}
    ${set(t[3], shuffle4(get(r[2]), get(r[3]), [2, 6, 3, 7]))}
    ${set(c[0], shuffle4(get(t[0]), get(t[2]), [0, 1, 4, 5]))}
    ${set(c[1], shuffle4(get(t[0]), get(t[2]), [2, 3, 6, 7]))}
    ${set(c[2], shuffle4(get(t[1]), get(t[3]), [0, 1, 4, 5]))}
    ${set(c[3], shuffle4(get(t[1]), get(t[3]), [2, 3, 6, 7]))}`;
}

/**
 * The last 1-3 floats of an array (count `rem`, an i32 expression in 1..3) at byte address `ptr` as one
 * vector, without reading past them (the array may end at the end of memory); the other lanes are zero.
 * A tail then costs one vector step instead of up to three scalar ones.
 */
export function loadTail(ptr, rem) {
  return `(if (result v128) (i32.eq ${rem} (i32.const 1))
    (then (v128.load32_zero ${ptr}))
    (else (if (result v128) (i32.eq ${rem} (i32.const 2))
      (then (v128.load64_zero ${ptr}))
      (else (v128.load32_lane offset=8 2 ${ptr} (v128.load64_zero ${ptr}))))))`;
}

/** Stores the first `rem` (1..3) lanes of `value` at `ptr` (see loadTail). */
export function storeTail(ptr, rem, value) {
  return `(if (i32.eq ${rem} (i32.const 1))
    (then (v128.store32_lane 0 ${ptr} ${value}))
    (else
      (v128.store64_lane 0 ${ptr} ${value})
      (if (i32.eq ${rem} (i32.const 3)) (then (v128.store32_lane offset=8 2 ${ptr} ${value})))))`;
}

/** A mask of the lanes below `rem` (an i32 expression): the valid lanes of a tail vector. */
export const tailMask = (rem) => `(i32x4.gt_s (i32x4.splat ${rem}) (v128.const i32x4 0 1 2 3))`;

/** A dispatcher that calls $<prefix>_<name>(params...) by op code (out-of-range codes do nothing). */
export function dispatch(exportName, prefix, names, params) {
  const decl = params.map((p) => `(param $${p} i32)`).join(' ');
  const args = params.map((p) => get(p)).join(' ');
  const blocks = names.map((_, i) => `$op${i}`);
  let body = `(br_table ${blocks.join(' ')} $none ${get('op')})`;
  names.forEach((name, i) => {
    body = `(block ${blocks[i]} ${body})\n(call $${prefix}_${name} ${args}) (return)`;
  });
  return `
  (func (export "${exportName}") (param $op i32) ${decl}
    (block $none ${body}))`;
}
