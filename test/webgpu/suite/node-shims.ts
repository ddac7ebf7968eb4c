/**
 * Stand-ins for the Node built-ins the shared tests import, in a browser worker. The test server
 * rewrites `import … from 'node:X'` into reads of `nodeModule('X')`; file reads become synchronous
 * requests to the same server (allowed in workers), paths are URL paths. A member that has no
 * stand-in throws when used, naming itself.
 */
import assert from './assert.js';
import * as runner from './runner.js';

function posixNormalize(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !absolute) out.push(part);
  }
  return (absolute ? '/' : '') + out.join('/') || (absolute ? '/' : '.');
}

const path = {
  sep: '/',
  join: (...parts: string[]) => posixNormalize(parts.join('/')),
  resolve: (...parts: string[]) => {
    let p = '';
    for (const part of parts) p = part.startsWith('/') ? part : `${p}/${part}`;
    return posixNormalize(p.startsWith('/') ? p : `/${p}`);
  },
  normalize: posixNormalize,
  dirname: (p: string) => posixNormalize(p.replace(/\/[^/]*\/?$/, '') || '/'),
  basename: (p: string, ext?: string) => {
    const b = p.replace(/\/$/, '').split('/').pop() ?? '';
    return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
  },
  extname: (p: string) => /(\.[^./]*)$/.exec(p)?.[1] ?? '',
};

const urlOf = (p: string | URL) => (p instanceof URL ? p.href : String(p));

/** A synchronous GET (or HEAD) of a server path or URL. */
function fetchSync(p: string | URL, method = 'GET'): XMLHttpRequest {
  const xhr = new XMLHttpRequest();
  xhr.open(method, urlOf(p), false);
  // Bytes as they are (one char per byte), whatever the file holds.
  xhr.overrideMimeType('text/plain; charset=x-user-defined');
  xhr.send();
  return xhr;
}

const fs = {
  readFileSync(p: string | URL, options?: string | { encoding?: string }) {
    const xhr = fetchSync(p);
    if (xhr.status !== 200) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${urlOf(p)}'`), {
        code: 'ENOENT',
      });
    }
    const bytes = Uint8Array.from(xhr.responseText, (c) => c.charCodeAt(0) & 0xff);
    const encoding = typeof options === 'string' ? options : options?.encoding;
    return encoding ? new TextDecoder().decode(bytes) : bytes;
  },
  existsSync: (p: string | URL) => fetchSync(p, 'HEAD').status === 200,
};

const modules: Record<string, object> = {
  test: { ...runner, default: runner.test },
  assert: { ...assert, default: assert },
  'assert/strict': { ...assert, default: assert },
  fs,
  path: { ...path, posix: path, default: path },
  url: {
    fileURLToPath: (u: string | URL) => decodeURIComponent(new URL(urlOf(u)).pathname),
    pathToFileURL: (p: string) =>
      new URL(p, (globalThis as unknown as { location: Location }).location.origin),
  },
  v8: { setFlagsFromString: () => undefined },
  os: {
    availableParallelism: () => navigator.hardwareConcurrency,
    cpus: () => Array.from({ length: navigator.hardwareConcurrency }, () => ({ model: 'browser' })),
    tmpdir: () => '/tmp',
    EOL: '\n',
  },
};

/** The stand-in of node:<name>; members without one throw when called or constructed. */
export function nodeModule(name: string): Record<string, unknown> {
  const target = (modules[name] ?? {}) as Record<string, unknown>;
  return new Proxy(target, {
    get(t, key) {
      if (key in t) return t[key as string];
      if (key === 'default') return undefined;
      return function unavailable() {
        throw new Error(`node:${name}.${String(key)} is not available in the browser test worker`);
      };
    },
  });
}
