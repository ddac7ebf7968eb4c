/**
 * The static HTTP server of the browser tests and the WebGPU bench (Node side), on 127.0.0.1 and
 * cross-origin isolated (so that workers can share memory). Optionally each `import … from 'node:X'`
 * of a served module under /build is rewritten to the stand-ins of test/webgpu/suite/node-shims.ts,
 * so that the shared test files load in a browser as they are.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

const SHIMS = '/build/test/webgpu/suite/node-shims.js';

/** `import a, { b as c } from 'node:x'` → `import __n from '/__node/x.js'; const a = …, { b: c } = __n;` */
function rewriteNodeImports(source: string): string {
  let n = 0;
  return source
    .replace(/^import\s+([^'";]+?)\s+from\s+'node:([^']+)';/gm, (_all, clause: string, mod: string) => {
      const v = `__node${n++}`;
      const m = /^(?:([\w$]+)\s*,?\s*)?(?:\*\s+as\s+([\w$]+)|\{([^}]*)\})?$/.exec(clause.trim());
      if (!m) throw new Error(`cannot rewrite the import of node:${mod}: ${clause}`);
      const lines = [`import ${v} from '/__node/${mod}.js';`];
      if (m[1]) lines.push(`const ${m[1]} = ${v}.default ?? ${v};`);
      if (m[2]) lines.push(`const ${m[2]} = ${v};`);
      if (m[3]) lines.push(`const { ${m[3].replace(/\s+as\s+/g, ': ')} } = ${v};`);
      return lines.join(' ');
    })
    .replace(/import\('node:([^']+)'\)/g, "import('/__node/$1.js').then((m) => m.default)");
}

export interface ServeOptions {
  /** A file under root served at '/' (default: a blank page). */
  index?: string;
  /** Rewrite node: imports of modules under /build to the browser stand-ins (root is the repository). */
  nodeShims?: boolean;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cache-Control': 'no-store',
};

/** Serves the files under `root` on a free port of 127.0.0.1. */
export function serveStatic(root: string, opts: ServeOptions = {}): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
    const shim = opts.nodeShims ? /^\/__node\/(.+)\.js$/.exec(path) : null;
    if (shim) {
      res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES['.js'] });
      res.end(
        `import { nodeModule } from '${SHIMS}';\nexport default nodeModule(${JSON.stringify(shim[1])});\n`,
      );
      return;
    }
    if (path === '/' && !opts.index) {
      res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES['.html'] });
      res.end('<!doctype html><title>chainrule browser tests</title>');
      return;
    }
    const file = path === '/' ? opts.index! : path;
    try {
      const body = await readFile(join(root, file));
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { ...HEADERS, 'Content-Type': type });
      const rewrite = opts.nodeShims && file.endsWith('.js') && file.startsWith('/build/');
      res.end(rewrite ? rewriteNodeImports(body.toString('utf8')) : body);
    } catch {
      res.writeHead(404, HEADERS).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}
