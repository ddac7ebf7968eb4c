import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// build/test/package/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const work = mkdtempSync(join(tmpdir(), 'chainrule-sibling-'));
after(() => rmSync(work, { recursive: true, force: true }));

it('installs from its folder into a sibling project and type-checks and runs there', () => {
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({
      name: 'sibling',
      private: true,
      type: 'module',
      dependencies: { chainrule: `file:${root}` },
    }),
  );
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        outDir: 'out',
        types: [],
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(
    join(work, 'main.ts'),
    [
      "import { tensor, grad, type Tensor } from 'chainrule';",
      'const x: Tensor = tensor([1, 2, 3], { requiresGrad: true });',
      'x.mul(x).sum().backward();',
      'const g: Tensor = grad((p: Tensor) => p.pow(3).sum())(tensor([1, 2]));',
      'console.log(JSON.stringify([x.grad!.toArray(), g.toArray()]));',
    ].join('\n'),
  );
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: work,
    stdio: 'pipe',
  });
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', work], {
    stdio: 'pipe',
  });
  const out = execFileSync(process.execPath, [join(work, 'out/main.js')], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [
    [2, 4, 6],
    [3, 12],
  ]);
});
