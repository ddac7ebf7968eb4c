/**
 * What the shared tests use of `node:test`, for a browser worker: describe/it/test with hooks,
 * subtests, t.skip/t.diagnostic and mock.method. As in Node, describe bodies run when a file is
 * imported (collection) and the tests run afterwards, in order, one file at a time.
 */

type Fn = (t: TestContext) => unknown;
type Hook = () => unknown;

interface Suite {
  name: string;
  children: (Suite | Case)[];
  before: Hook[];
  after: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}

interface Case {
  name: string;
  fn: Fn;
  skip: boolean;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  skipped?: string;
  error?: string;
  ms: number;
}

const newSuite = (name: string): Suite => ({
  name,
  children: [],
  before: [],
  after: [],
  beforeEach: [],
  afterEach: [],
});

let current = newSuite('');

/** Node's overloads: (name, fn), (name, options, fn), (fn). */
function parse(args: unknown[]): { name: string; fn: Fn; skip: boolean } {
  const fn = args.find((a) => typeof a === 'function') as Fn;
  const name = typeof args[0] === 'string' ? args[0] : (fn?.name ?? '<anonymous>');
  const opts = args.find((a) => typeof a === 'object' && a !== null) as { skip?: unknown } | undefined;
  return { name, fn, skip: Boolean(opts?.skip) };
}

export function describe(...args: unknown[]): void {
  const { name, fn } = parse(args);
  const suite = newSuite(name);
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    (fn as unknown as () => void)();
  } finally {
    current = parent;
  }
}

export function it(...args: unknown[]): void {
  current.children.push(parse(args));
}

export const test = it;
export const before = (fn: Hook) => void current.before.push(fn);
export const after = (fn: Hook) => void current.after.push(fn);
export const beforeEach = (fn: Hook) => void current.beforeEach.push(fn);
export const afterEach = (fn: Hook) => void current.afterEach.push(fn);

export interface TestContext {
  name: string;
  diagnostic(message: string): void;
  skip(reason?: string): void;
  test(name: string, fn: Fn): Promise<void>;
  mock: typeof mock;
}

interface Restorable {
  restore(): void;
}
const mocked: Restorable[] = [];

/** mock.method(object, name, implementation?) with .mock.calls, and mock.restore(). */
export const mock = {
  method(obj: Record<string, unknown>, key: string, impl?: (...a: unknown[]) => unknown) {
    const original = obj[key] as (...a: unknown[]) => unknown;
    const calls: { arguments: unknown[]; result?: unknown }[] = [];
    const fake = function (this: unknown, ...a: unknown[]) {
      const result = (impl ?? original).apply(this, a);
      calls.push({ arguments: a, result });
      return result;
    } as ((...a: unknown[]) => unknown) & { mock: unknown };
    fake.mock = { calls, callCount: () => calls.length };
    obj[key] = fake;
    mocked.push({ restore: () => (obj[key] = original) });
    return fake;
  },
  restore(): void {
    while (mocked.length) mocked.pop()!.restore();
  },
};

const message = (e: unknown) => (e instanceof Error ? `${e.stack ?? e.message}` : String(e));

async function runCase(c: Case, path: string, hooks: Suite[], out: CaseResult[]): Promise<void> {
  const name = `${path} › ${c.name}`;
  if (c.skip) {
    out.push({ name, ok: true, skipped: 'skip option', ms: 0 });
    return;
  }
  const t0 = performance.now();
  const sub: CaseResult[] = [];
  let skipped: string | undefined;
  const ctx: TestContext = {
    name: c.name,
    diagnostic: () => undefined,
    // As in Node, the body goes on; the test is reported as skipped.
    skip: (reason = '') => void (skipped = reason),
    test: (n, fn) => runCase({ name: n, fn, skip: false }, name, [], sub),
    mock,
  };
  let error: unknown = null;
  try {
    for (const s of hooks) for (const h of s.beforeEach) await h();
    await c.fn(ctx);
  } catch (e) {
    error = e;
  } finally {
    // afterEach hooks run after a failure too, so that one failure leaves no state behind.
    try {
      for (const s of [...hooks].reverse()) for (const h of s.afterEach) await h();
    } catch (e) {
      error ??= e;
    }
  }
  const ms = performance.now() - t0;
  if (error !== null) out.push({ name, ok: false, error: message(error), ms });
  else out.push(skipped === undefined ? { name, ok: true, ms } : { name, ok: true, skipped, ms });
  out.push(...sub);
}

async function runSuite(s: Suite, path: string, hooks: Suite[], out: CaseResult[]): Promise<void> {
  const chain = [...hooks, s];
  try {
    for (const h of s.before) await h();
  } catch (e) {
    out.push({ name: `${path} › before`, ok: false, error: message(e), ms: 0 });
    return;
  }
  for (const child of s.children) {
    if ('children' in child) await runSuite(child, `${path} › ${child.name}`, chain, out);
    else await runCase(child, path, chain, out);
  }
  try {
    for (const h of s.after) await h();
  } catch (e) {
    out.push({ name: `${path} › after`, ok: false, error: message(e), ms: 0 });
  }
}

/** Imports one test file (collecting its tests) and runs them. */
export async function runFile(file: string, load: () => Promise<unknown>): Promise<CaseResult[]> {
  current = newSuite(file);
  const root = current;
  const out: CaseResult[] = [];
  try {
    await load();
  } catch (e) {
    return [{ name: `${file} › import`, ok: false, error: message(e), ms: 0 }];
  } finally {
    current = newSuite('');
  }
  await runSuite(root, file, [], out);
  mock.restore();
  return out;
}
