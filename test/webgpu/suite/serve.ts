/**
 * The HTTP server of the browser tests (Node side): serves the repository (compiled modules under
 * /build, fixtures under /fixtures) on 127.0.0.1, cross-origin isolated so that workers can share
 * memory, with each `import … from 'node:X'` of a compiled module rewritten to the stand-ins of
 * node-shims.ts: the shared test files then load in a browser as they are.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join, normalize } from 'node:path';

const SHIMS = '/build/test/webgpu/suite/node-shims.js';

/** `import a, { b as c } from 'node:x'` → `import __n from '/__node/x.js'; const a = …, { b: c } = __n;` */
export function rewriteNodeImports(source: string): string {
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

/** Serves `root` (the repository) and a blank page at '/'. */
export function serveRepository(root: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>chainrule browser tests</title>');
      return;
    }
    const shim = /^\/__node\/(.+)\.js$/.exec(path);
    if (shim) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      res.end(
        `import { nodeModule } from '${SHIMS}';\nexport default nodeModule(${JSON.stringify(shim[1])});\n`,
      );
      return;
    }
    try {
      const body = await readFile(join(root, path));
      const js = path.endsWith('.js');
      res.writeHead(200, { ...headers, 'Content-Type': js ? 'text/javascript' : 'application/octet-stream' });
      res.end(js && path.startsWith('/build/') ? rewriteNodeImports(body.toString('utf8')) : body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}
