/**
 * What can be checked of the Dockerfile without a Docker engine (none here: the image build itself is not
 * exercised): every file the build context must supply exists and is not excluded by .dockerignore; the build
 * stage copies exactly the directories `npm run build` compiles; the runtime layout — package.json, bin/ and the
 * tsc output, no TypeScript sources — runs `lakehouse --version` and `--help` through the entrypoint script;
 * and the compiled code imports no package the runtime stage prunes away (devDependencies).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/fixtures.js';

const read = (name: string): string => readFileSync(join(REPO_ROOT, name), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; bin: Record<string, string>; scripts: Record<string, string>; dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };

/** The Dockerfile's instructions (continuation lines joined, comments dropped), per stage. */
function stages(): { from: string; lines: string[] }[] {
  const out: { from: string; lines: string[] }[] = [];
  for (const line of read('Dockerfile').replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('FROM ')) out.push({ from: line, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** `COPY [--from=…] SRC… DEST` → sources, destination and the stage copied from (undefined: the build context). */
function copies(lines: readonly string[]): { from: string | undefined; sources: string[]; dest: string }[] {
  return lines.filter((l) => l.startsWith('COPY ')).map((l) => {
    const words = l.split(/\s+/).slice(1);
    const from = words[0].startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
    return { from, sources: words.slice(0, -1), dest: words.at(-1) as string };
  });
}

function ignored(path: string): boolean {
  const patterns = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return patterns.some((p) => path === p || path.startsWith(`${p}/`));
}

describe('Dockerfile (checked without Docker)', () => {
  const [build, runtime] = stages();
  let image = '';
  before(() => {
    image = mkdtempSync(join(tmpdir(), 'lakehouse-image-'));
    // The runtime stage's /app: package.json, node_modules, the tsc output, bin/ — and no sources.
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(image, 'dist')], { stdio: 'pipe' });
    cpSync(join(REPO_ROOT, 'package.json'), join(image, 'package.json'));
    cpSync(join(REPO_ROOT, 'bin'), join(image, 'bin'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(image, 'node_modules'));
  });
  after(() => rmSync(image, { recursive: true, force: true }));

  it('has a build stage and a non-root runtime stage whose entrypoint is the lakehouse binary', () => {
    assert.match(build.from, /^FROM node:\S+ AS build$/);
    assert.match(runtime.from, /^FROM node:\S+-slim$/);
    assert.ok(runtime.lines.includes('USER node'), 'runs as the unprivileged node user');
    assert.ok(runtime.lines.includes('ENTRYPOINT ["lakehouse"]'));
    assert.equal(pkg.bin.lakehouse, 'bin/lakehouse.mjs');
    assert.ok(runtime.lines.some((l) => l.includes('ln -s /app/bin/lakehouse.mjs /usr/local/bin/lakehouse')), 'lakehouse on PATH is /app/bin/lakehouse.mjs');
    assert.ok(runtime.lines.includes('WORKDIR /app') && copies(runtime.lines).some((c) => c.sources.includes('bin') && c.dest === 'bin'));
    assert.match(read('bin/lakehouse.mjs').split('\n')[0], /^#!\/usr\/bin\/env node$/);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    for (const stage of [build, runtime]) {
      for (const copy of copies(stage.lines).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          assert.ok(existsSync(join(REPO_ROOT, source)), `${source} exists`);
          assert.ok(!ignored(source), `${source} is not excluded by .dockerignore`);
        }
      }
    }
  });

  it('builds with the package build script, from exactly the directories tsconfig.build.json compiles', () => {
    assert.equal(pkg.scripts.build, 'tsc -p tsconfig.build.json');
    assert.ok(build.lines.some((l) => l.startsWith('RUN npm run build')));
    const { include } = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    const copied = copies(build.lines).filter((c) => c.from === undefined).flatMap((c) => c.sources);
    for (const dir of include) assert.ok(copied.includes(dir), `the build stage copies ${dir}`);
    assert.ok(copies(runtime.lines).some((c) => c.from === 'build' && c.sources.includes('/app/dist')));
  });

  it('runs --version and --help from the build output with no TypeScript sources beside it', () => {
    assert.ok(existsSync(join(image, 'dist', 'pipelines', 'cli.js')), 'npm run build writes dist/pipelines/cli.js');
    const bin = join(image, 'bin', 'lakehouse.mjs');
    assert.equal(execFileSync(process.execPath, [bin, '--version'], { cwd: tmpdir() }).toString().trim(), pkg.version);
    assert.match(execFileSync(process.execPath, [bin, '--help'], { cwd: tmpdir() }).toString(), /Usage: lakehouse <command>/);
  });

  it('imports from the build output only packages the runtime keeps (dependencies, not devDependencies)', () => {
    const kept = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]);
    const used = new Set<string>();
    for (const file of readdirSync(join(image, 'dist'), { recursive: true }) as string[]) {
      if (!file.endsWith('.js')) continue;
      const code = readFileSync(join(image, 'dist', file), 'utf8');
      const specifiers = [...code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]/gm), ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        if (specifier.startsWith('node:') || specifier.startsWith('.')) continue;
        used.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
      }
    }
    assert.ok(used.size > 5);
    assert.deepEqual([...used].filter((p) => !kept.has(p)), []);
  });
});
