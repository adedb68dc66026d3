/**
 * The zoo scripts start hours of training or evaluation, so a mistyped flag must stop them at once
 * (exit 2, the usage printed) and --help must print the usage instead of running.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = (name: string, args: string[]) =>
  spawnSync(process.execPath, [join(process.cwd(), 'scripts', name), ...args], { encoding: 'utf8', timeout: 60_000 });

describe('zoo scripts check their arguments', () => {
  for (const name of ['train-zoo.mjs', 'eval-zoo.mjs']) {
    it(`${name}: --help prints the usage, an unknown flag or a flag without its value exits 2`, () => {
      const help = script(name, ['--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: node scripts/${name.replace('.', '\\.')} `));
      const unknown = script(name, ['--onyl', 'static']);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toMatch(/^Unknown argument --onyl; usage: /);
      const missing = script(name, ['--only']);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/^--only needs a value; usage: /);
    });
  }
});
