// The profiling result view as static markup in Node: verdicts stated plainly, the attribution mode
// and alignment, simulated runs labelled, every number's source, violations first in the table.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ProfileDetails, ProfileInference, ProfileResultDto } from '../../../renderer/src/profile/profileLogic';
import { ProfileResultView } from '../../../renderer/src/profile/ProfileResultView';

const inf = (seq: number, energy: number | null): ProfileInference => ({
  seq,
  startS: 1 + seq * 0.01,
  endS: 1.004 + seq * 0.01,
  exit: seq % 2 === 0 ? 0 : null,
  macs: 1e6 + seq * 1e5,
  label: 1,
  prediction: 1,
  predictedEnergyJ: 1e-4,
  measuredEnergyJ: energy,
  activeEnergyJ: energy === null ? null : energy / 2,
  graphBuilds: seq === 0 ? 3 : 0,
});

const result = (over: Partial<ProfileResultDto> = {}): ProfileResultDto => ({
  sessionId: 4,
  status: 'complete',
  statusReason: null,
  simulated: false,
  model: 'mgl2s-50',
  mode: 'iadi',
  budget: null,
  backend: 'wasm',
  inferences: 4,
  powerSource: 'measured',
  nominalVoltageV: null,
  alignment: {
    offsetNs: 12_345_678,
    driftPpm: 0,
    refNs: 1e9,
    uncertaintyNs: 20_000,
    strength: 0.93,
    peakRatio: 6.2,
    trusted: true,
    reason: null,
    method: 'm-sequence',
  },
  attribution: { mode: 'per-inference', reason: 'Per-inference mode: the meter samples every 10 µs.' },
  baseline: { startNs: 0, endNs: 2e9, meanPowerW: 1.5, sdPowerW: 0.01 },
  energyPerInference: { mean: 2e-3, p50: 2e-3, p95: 3e-3, p99: 3e-3, max: 3e-3, activeMean: 1e-3, ci95: null },
  latencyPerInference: { mean: 0.004, p50: 0.004, p95: 0.004, max: 0.004 },
  budgets: [
    {
      name: 'tight',
      metric: 'energy_per_inference',
      value: 2.5e-3,
      unit: 'J',
      valueText: '2.50 mJ',
      pass: false,
      verdict: 'fail',
      summary: 'FAIL.',
      count: 4,
      within: 3,
      fractionWithin: 0.75,
      unmeasured: 0,
      worst: 3e-3,
      worstText: '3.00 mJ',
      violations: [{ seq: 3, value: 3e-3 }],
    },
    {
      name: 'macs',
      metric: 'macs_per_inference',
      value: 2e6,
      unit: 'MAC',
      valueText: '2 MMAC',
      pass: true,
      verdict: 'pass',
      count: 4,
      within: 4,
      fractionWithin: 1,
      worst: 1.3e6,
      worstText: '1.3 MMAC',
      violations: [],
    },
  ],
  ...over,
});

const details = (over: Partial<ProfileResultDto> = {}): ProfileDetails => ({
  result: result(over),
  inferences: [inf(0, 1e-3), inf(1, 2e-3), inf(2, 2e-3), inf(3, 3e-3)],
  phases: [],
});

describe('ProfileResultView', () => {
  it('states each budget PASS/FAIL with the share within and the worst, and lists the violating inference first', () => {
    const html = renderToStaticMarkup(<ProfileResultView details={details()} />);
    expect(html).toMatch(/data-verdict="FAIL"[^>]*>.*?FAIL.*?tight.*?75\.0 % within \(3 of 4\), worst 3\.00 mJ/);
    expect(html).toMatch(/data-verdict="PASS"[^>]*>.*?PASS.*?macs.*?100 % within \(4 of 4\), worst 1\.3 MMAC.*?counted/);
    const seqs = [...html.matchAll(/data-testid="inference-row" data-seq="(\d+)"/g)].map((m) => Number(m[1]));
    expect(seqs).toEqual([3, 0, 1, 2]);
    expect(html).toContain('data-violates="true"');
    // The budget line is on the histogram.
    expect(html).toMatch(/data-testid="histogram-budget" data-value="0.0025"/);
  });

  it('shows the attribution mode with its reason and the alignment, and says where each number comes from', () => {
    const html = renderToStaticMarkup(<ProfileResultView details={details()} />);
    expect(html).toMatch(/data-testid="attribution-mode">PER INFERENCE</);
    expect(html).toContain('Per-inference mode: the meter samples every 10 µs.');
    expect(html).toMatch(/trusted<\/strong> · offset 12\.346 ms ± 0\.020 ms · strength r = 0\.93/);
    expect(html).toMatch(/Energy<span class="src src-predicted">predicted/);
    expect(html).toMatch(/Baseline power <span class="src src-measured">measured/);
    expect(html).not.toContain('SIMULATED');
    // Graphs the executor built, per inference: inference 0 built 3.
    const builds = [...html.matchAll(/data-seq="(\d+)".*?data-testid="cell-builds"[^>]*>(\d+|—)</g)].map((m) => `${m[1]}:${m[2]}`);
    expect(builds).toEqual(['3:0', '0:3', '1:0', '2:0']);
  });

  it('labels a simulated run and says why a run fell back to window mode', () => {
    const html = renderToStaticMarkup(
      <ProfileResultView
        details={details({
          simulated: true,
          attribution: { mode: 'window', reason: 'Window mode: the alignment is not trusted.' },
          alignment: {
            offsetNs: 1e6,
            driftPpm: 0,
            uncertaintyNs: null,
            strength: 0.1,
            trusted: false,
            reason: 'The pattern correlates only weakly.',
            method: 'm',
          },
        })}
      />,
    );
    expect(html).toContain('SIMULATED');
    expect(html).toContain('data-testid="profile-sim-note"');
    expect(html).toMatch(/data-testid="attribution-mode">WINDOW</);
    expect(html).toMatch(/not trusted<\/strong> · offset 1\.000 ms · strength/);
    expect(html).toContain('The pattern correlates only weakly.');
  });
});
