/**
 * Vite builds the playground into build/playground. The page imports `chainrule` as a browser user
 * would: the package's default export condition (build/src/index.js, the browser-safe entry), not
 * the Node one. The built page is one self-contained index.html (script and worker inlined), so it
 * also works opened from disk, where browsers refuse module scripts loaded from file:// URLs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const entry = fileURLToPath(new URL(`../${pkg.exports['.'].default}`, import.meta.url));

/** Shared WebAssembly memory (the wasm backend) needs a cross-origin-isolated page. */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Moves the entry chunk and the stylesheet into index.html. */
function inlineIntoHtml(): Plugin {
  return {
    name: 'playground-inline',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (!html || html.type !== 'asset') return;
      let text = String(html.source);
      for (const [name, file] of Object.entries(bundle)) {
        if (file.type === 'chunk' && file.isEntry) {
          const tag = new RegExp(`<script type="module" crossorigin src="[^"]*${name}"></script>`);
          // A function replacement: the code may contain `$&` and the like.
          text = text.replace(
            tag,
            () => `<script type="module">${file.code.replaceAll('</script', '<\\/script')}</script>`,
          );
          delete bundle[name];
        } else if (file.type === 'asset' && name.endsWith('.css')) {
          const tag = new RegExp(`<link rel="stylesheet" crossorigin href="[^"]*${name}">`);
          text = text.replace(tag, () => `<style>${String(file.source)}</style>`);
          delete bundle[name];
        }
      }
      html.source = text;
    },
  };
}

export default defineConfig({
  root,
  base: './',
  resolve: { alias: { chainrule: entry } },
  server: { headers: isolation, fs: { allow: [repo] } },
  preview: { headers: isolation },
  worker: { format: 'iife' },
  build: {
    outDir: fileURLToPath(new URL('../build/playground', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    modulePreload: false,
  },
  plugins: [inlineIntoHtml()],
});
