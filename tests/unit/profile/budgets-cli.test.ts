import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ddi-budgets-cli-'));

describe('ddi-profiler budgets', () => {
  it('adds budgets of every kind in SI units, lists them and removes one', () => {
    const db = join(tmp(), 'db.sqlite');
    const add = (args: string[]) => runCli(['--db', db, 'budgets', 'add', ...args]);
    const e = add(['mcu', '--energy', '0.8mJ', '--model', 'mgl2s-50', '--notes', 'nRF52 target']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/Added budget "mcu": energy per inference ≤ 800\.000 uJ \(model mgl2s-50\)/);
    expect(add(['fast', '--latency', '5ms']).code).toBe(0);
    expect(add(['small', '--macs', '20M']).code).toBe(0);
    expect(add(['tiny', '--macs', '500kMAC']).code).toBe(0);
    expect(add(['run', '--run-energy', '2J']).code).toBe(0);
    const list = runCli(['--db', db, 'budgets', 'list', '--json']);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { name: string; metric: string; value: number; unit: string; model: string | null }[];
    expect(rows.map((r) => [r.name, r.metric, r.value, r.unit])).toEqual([
      ['fast', 'latency_per_inference', 5e-3, 's'],
      ['mcu', 'energy_per_inference', 0.8e-3, 'J'],
      ['run', 'energy_per_run', 2, 'J'],
      ['small', 'macs_per_inference', 20e6, 'MAC'],
      ['tiny', 'macs_per_inference', 500e3, 'MAC'],
    ]);
    expect(rows.find((r) => r.name === 'mcu')!.model).toBe('mgl2s-50');
    const table = runCli(['--db', db, 'budgets', 'list']);
    expect(table.stdout).toMatch(/mcu\s+energy per inference\s+800\.000 uJ\s+mgl2s-50\s+nRF52 target/);
    const rm = runCli(['--db', db, 'budgets', 'rm', 'fast']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toMatch(/Removed budget "fast"/);
    expect((JSON.parse(runCli(['--db', db, 'budgets', 'list', '--json']).stdout) as unknown[]).length).toBe(4);
  });

  it('refuses bad input with one sentence, a non-zero exit and nothing written', () => {
    const dir = tmp();
    const db = join(dir, 'db.sqlite');
    const cases: [string[], RegExp][] = [
      [['add', 'a', '--energy', '5ms'], /--energy takes an energy, but "5ms" is a latency/],
      [['add', 'a', '--energy', '0.8 mW'], /unknown unit "mW"/],
      [['add', 'a', '--latency', 'fast'], /"fast" is not a budget/],
      [['add', 'a', '--macs', '40MFLOP'], /MACs, not FLOPs/],
      [['add', 'a', '--energy', '1e999mJ'], /larger than any model here could use/],
      [['add', 'a', '--energy', '0mJ'], /must be a positive number/],
      [['add', 'a'], /Give exactly one of --energy, --latency, --macs or --run-energy \(none was given\)/],
      [['add', 'a', '--energy', '1mJ', '--latency', '1ms'], /\(--energy and --latency were given\)/],
      [['add', ' ', '--energy', '1mJ'], /not a usable budget name/],
      [['rm', 'nope'], /There is no budget named "nope"/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['--db', db, 'budgets', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(db)).toBe(false);
    expect(runCli(['--db', db, 'budgets', 'list', '--json']).stdout.trim()).toBe('[]');
    expect(existsSync(db)).toBe(false);

    expect(runCli(['--db', db, 'budgets', 'add', 'a', '--energy', '1mJ']).code).toBe(0);
    const dup = runCli(['--db', db, 'budgets', 'add', 'a', '--latency', '1ms']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/A budget named "a" already exists; choose another name or remove it first/);
    const rows = JSON.parse(runCli(['--db', db, 'budgets', 'list', '--json']).stdout) as { metric: string }[];
    expect(rows.map((r) => r.metric)).toEqual(['energy_per_inference']);
  });
});
