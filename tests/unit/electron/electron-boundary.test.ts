/**
 * Keeps Electron out of the core: only main/electron/ may import 'electron',
 * and the sandboxed preload bundle may require nothing but 'electron'.
 */
import { build } from 'esbuild';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..', '..');
const mainDir = join(repo, 'main');
const electronDir = join(mainDir, 'electron');
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs|jsx)$/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : SOURCE.test(e.name) ? [join(dir, e.name)] : []));
}

const isElectronSpecifier = (spec: string) => spec === 'electron' || spec.startsWith('electron/');

/**
 * Module specifiers a source file refers to: static imports/exports (type-only too), import()
 * and require() (TypeScript's own pre-processor, which ignores comments and strings that are not
 * specifiers), plus calls of a require made some other way (createRequire(...)('electron'),
 * module.require('electron')).
 */
export function electronImportsIn(source: string): string[] {
  const found = ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter(isElectronSpecifier);
  const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      const arg = node.arguments[0]!;
      const callee = node.expression;
      const requireLike =
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        (ts.isPropertyAccessExpression(callee) && callee.name.text === 'require') ||
        ts.isCallExpression(callee);
      if (requireLike && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) && isElectronSpecifier(arg.text)) {
        found.push(arg.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('the electron-import scanner itself', () => {
  it.each([
    "import { app } from 'electron';",
    'import * as e from "electron"',
    "import type { WebContents } from 'electron';",
    "import 'electron';",
    "export { ipcMain } from 'electron/main';",
    "const e = await import('electron');",
    'const e = require(`electron`);',
    "const { app } = require ( 'electron' ) ;",
    "const e = createRequire(import.meta.url)('electron');",
    "const e = module.require('electron/common');",
  ])('flags %s', (src) => {
    expect(electronImportsIn(src).length).toBeGreaterThan(0);
  });

  it.each([
    "import { build } from 'electron-builder';",
    "import { rebuild } from '@electron/rebuild';",
    "const transport = 'electron';",
    "// require('electron') in a comment",
    "const t: 'electron' | 'browser' = 'electron';",
  ])('does not flag %s', (src) => {
    expect(electronImportsIn(src)).toEqual([]);
  });
});

describe('electron stays in main/electron', () => {
  const files = walk(mainDir);

  it('finds the core sources to check', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => f.startsWith(electronDir + sep))).toBe(true);
  });

  it('no file under main/ outside main/electron/ imports electron', () => {
    const offenders = files
      .filter((f) => !f.startsWith(electronDir + sep))
      .flatMap((f) => electronImportsIn(readFileSync(f, 'utf8')).map((spec) => `${relative(repo, f)} imports ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('no core module reaches electron through another module (esbuild import graph)', async () => {
    const entries = files.filter((f) => !f.startsWith(electronDir + sep) && !f.endsWith('.d.ts'));
    const result = await build({
      entryPoints: entries,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: join(repo, 'dist', '.boundary-check'),
      logLevel: 'silent',
    });
    const offenders: string[] = [];
    for (const [input, info] of Object.entries(result.metafile.inputs)) {
      for (const imp of info.imports) {
        if (isElectronSpecifier(imp.path)) offenders.push(`${input} -> ${imp.path}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('the sandboxed preload', () => {
  it('bundles to one file whose only external require is electron', async () => {
    // Same settings as scripts/build-main.mjs uses for the preload.
    const result = await build({
      entryPoints: [join(repo, 'preload', 'index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['electron'],
      outfile: join(repo, 'dist', '.boundary-check', 'preload.cjs'),
      logLevel: 'silent',
    });
    const externals = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect([...new Set(externals)]).toEqual(['electron']);
    const code = result.outputFiles.find((f) => f.path.endsWith('.cjs'))!.text;
    expect([...code.matchAll(/require\((['"])([^'"]+)\1\)/g)].map((m) => m[2])).toEqual(['electron']);
  });
});

describe('Electron anti-patterns (DESIGN.md) stay out of the shell and the preload', () => {
  const shellFiles = [...walk(electronDir), ...walk(join(repo, 'preload'))];
  // Code without comments (TypeScript's printer), so explanations like "never use file://" do not count.
  const printer = ts.createPrinter({ removeComments: true });
  const code = (f: string) => printer.printFile(ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  const text = shellFiles.map((f) => [relative(repo, f), code(f)] as const);

  it.each([
    ['nodeIntegration turned on', /nodeIntegration\w*\s*:\s*true/],
    ['context isolation turned off', /contextIsolation\s*:\s*false/],
    ['sandbox turned off', /sandbox\s*:\s*false/],
    ['web security turned off', /webSecurity\s*:\s*false/],
    ['insecure content allowed', /allowRunningInsecureContent\s*:\s*true/],
    ['<webview> enabled', /webviewTag\s*:\s*true/],
    ['blink features enabled', /enableBlinkFeatures/],
    ['shell.openExternal (opens URLs the page might control)', /openExternal\s*\(/],
    ['the file:// protocol for app content', /loadFile\s*\(|['"`]file:\/\//],
    ['the CSP bypassed for a scheme', /bypassCSP\s*:\s*true/],
    ['a --no-sandbox switch', /no-sandbox/],
  ])('no %s', (_label, pattern) => {
    const hits = text.filter(([, src]) => pattern.test(src)).map(([f]) => f);
    expect(hits).toEqual([]);
  });

  it('the preload exposes exactly one object, and never ipcRenderer itself', () => {
    const preload = readFileSync(join(repo, 'preload', 'index.ts'), 'utf8');
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toMatch(/exposeInMainWorld\('ddi', createBridge\(ipcRenderer\)\)/);
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*,\s*ipcRenderer\s*\)/);
  });
});
