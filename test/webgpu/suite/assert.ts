/**
 * What the shared tests use of `node:assert/strict`, for a browser worker, with Node's strict
 * semantics: Object.is for equal, deep strict equality (prototypes, -0, NaN) for deepEqual, and
 * throws/rejects matching a class, a RegExp (against String(error)), a validator or an object.
 */

export class AssertionError extends Error {
  override name = 'AssertionError';
}

const show = (v: unknown) => {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
};

function fail(message?: string | Error, fallback = 'Failed'): never {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback);
}

function deep(a: unknown, b: unknown, seen = new Map<object, object>()): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [k, v] of a) if (!m.has(k) || !deep(v, m.get(k), seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    return a.size === s.size && [...a].every((v) => s.has(v));
  }
  if (a instanceof Error && (a.message !== (b as Error).message || a.name !== (b as Error).name))
    return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], seen)) return false;
  }
  return true;
}

type Expected = RegExp | (new (...a: never[]) => unknown) | ((e: unknown) => boolean) | object;

function matches(err: unknown, expected: Expected | undefined): boolean {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) return expected.test(String(err));
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && err instanceof (expected as new () => unknown)) return true;
    if (Object.prototype.isPrototypeOf.call(Error, expected) || expected === Error) return false;
    return (expected as (e: unknown) => boolean)(err) === true;
  }
  for (const [k, v] of Object.entries(expected)) {
    const got = (err as Record<string, unknown>)?.[k];
    if (v instanceof RegExp ? !(typeof got === 'string' && v.test(got)) : !deep(got, v)) return false;
  }
  return true;
}

function ok(value: unknown, message?: string | Error): asserts value {
  if (!value) fail(message, `The expression evaluated to a falsy value: ${show(value)}`);
}

const assert = Object.assign(ok, {
  AssertionError,
  ok,
  fail: (message?: string | Error) => fail(message),
  equal(a: unknown, b: unknown, message?: string | Error) {
    if (!Object.is(a, b)) fail(message, `Expected values to be strictly equal: ${show(a)} !== ${show(b)}`);
  },
  notEqual(a: unknown, b: unknown, message?: string | Error) {
    if (Object.is(a, b)) fail(message, `Expected "actual" to be strictly unequal to: ${show(b)}`);
  },
  deepEqual(a: unknown, b: unknown, message?: string | Error) {
    if (!deep(a, b)) fail(message, `Expected values to be deeply equal:\n${show(a)}\n${show(b)}`);
  },
  notDeepEqual(a: unknown, b: unknown, message?: string | Error) {
    if (deep(a, b)) fail(message, `Expected "actual" not to be deeply equal to: ${show(b)}`);
  },
  match(s: string, re: RegExp, message?: string | Error) {
    if (typeof s !== 'string' || !re.test(s)) fail(message, `The input did not match ${re}: ${show(s)}`);
  },
  doesNotMatch(s: string, re: RegExp, message?: string | Error) {
    if (typeof s !== 'string' || re.test(s))
      fail(message, `The input was expected not to match ${re}: ${show(s)}`);
  },
  throws(fn: () => unknown, expected?: Expected | string, message?: string) {
    if (typeof expected === 'string') [message, expected] = [expected, undefined];
    try {
      fn();
    } catch (e) {
      if (!matches(e, expected)) fail(message, `The error did not match the expectation: ${String(e)}`);
      return;
    }
    fail(message, 'Missing expected exception.');
  },
  doesNotThrow(fn: () => unknown, message?: string) {
    try {
      fn();
    } catch (e) {
      fail(message, `Got unwanted exception: ${String(e)}`);
    }
  },
  async rejects(
    p: Promise<unknown> | (() => Promise<unknown>),
    expected?: Expected | string,
    message?: string,
  ) {
    if (typeof expected === 'string') [message, expected] = [expected, undefined];
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      if (!matches(e, expected)) fail(message, `The rejection did not match the expectation: ${String(e)}`);
      return;
    }
    fail(message, 'Missing expected rejection.');
  },
});
Object.assign(assert, { strict: assert, strictEqual: assert.equal, deepStrictEqual: assert.deepEqual });

export default assert;
