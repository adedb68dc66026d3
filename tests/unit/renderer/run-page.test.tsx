// Run page components as static markup in Node: the random-weights label, the cost columns, the
// budget verdict, the form's budget field per mode, and the virtualised record table.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { InferenceRecordDto, InferenceRun, ModelSummaryDto } from '../../../main/api/contract';
import { ModelCards } from '../../../renderer/src/run/ModelCards';
import { RecordsTable } from '../../../renderer/src/run/RecordsTable';
import { RunForm } from '../../../renderer/src/run/RunForm';
import { RunHistory } from '../../../renderer/src/run/RunHistory';
import { RunResults } from '../../../renderer/src/run/RunResults';
import type { RunFormValues } from '../../../renderer/src/run/runForm';
import { recordRows } from '../../../renderer/src/run/runStats';
import type { RunEntry } from '../../../renderer/src/run/runStore';

const model = (over: Partial<ModelSummaryDto> = {}): ModelSummaryDto => ({
  id: 'tiny-random-test',
  name: 'tiny-random-test',
  kind: 'resnet',
  architecture: 'resnet14-narrow',
  dataset: 'fashion-mnist',
  randomWeights: true,
  params: 56_317,
  backboneMacs: 5_074_368,
  exits: 3,
  layerGates: true,
  channelGates: true,
  costTables: [],
  createdAt: '2026-11-25T20:27:16.193Z',
  ...over,
});

const rec = (i: number, over: Partial<InferenceRecordDto> = {}): InferenceRecordDto => ({
  mode: 'ddi',
  budget: { kind: 'macs', value: 2_500_000, text: '2500000MAC' },
  model: 'tiny-random-test',
  backend: 'wasm',
  batchSize: 1,
  sampleIndex: i,
  datasetIndex: i,
  label: i % 10,
  predictedClass: 3,
  confidence: 0.2,
  logits: [],
  exit: 1,
  exitId: 'exit1',
  halted: true,
  blocksExecuted: [0, 1, 2],
  blocksSkipped: [],
  blocksNotReached: [3, 4, 5],
  channelsKept: [],
  macs: 2_100_000,
  staticMacs: 5_074_368,
  predictedLatencyS: null,
  latencyTable: null,
  predictedEnergyJ: null,
  energyTable: null,
  budgetSpent: 2_100_000,
  startNs: i * 1e7,
  endNs: i * 1e7 + 2e6,
  ...over,
});

function entry(over: Partial<InferenceRun> = {}, m: ModelSummaryDto | undefined = model()): RunEntry {
  const records = Array.from({ length: 20 }, (_, i) => rec(i));
  return {
    seq: 1,
    input: { model: 'tiny-random-test', mode: 'ddi', budget: '2500000MAC', limit: 20 },
    model: m,
    run: {
      model: 'tiny-random-test',
      backend: 'wasm',
      mode: 'ddi',
      budget: '2500000MAC',
      dataset: 'sample',
      count: 20,
      correct: 2,
      meanMacs: 2_100_000,
      staticMacs: 5_074_368,
      withinBudget: 1,
      exitCounts: { exit1: 20 },
      meanWallS: 0.003,
      records,
      ...over,
    },
  };
}

describe('model cards', () => {
  it('show backbone MACs, FLOPs as 2×MACs, exits and gates', () => {
    const html = renderToStaticMarkup(
      <ModelCards
        models={[model(), model({ id: 'mgl2s-50', name: 'mgl2s-50', randomWeights: false, channelGates: false })]}
        selected="mgl2s-50"
        onSelect={() => {}}
      />,
    );
    const [tiny, trained] = html.split('data-model-id="mgl2s-50"');
    expect(tiny).toMatch(/data-macs="5074368"[^>]*>5\.07 MMAC</);
    expect(tiny).toContain('10.1 MFLOPs (2×MACs)');
    expect(tiny).toContain('56.3 k');
    expect(tiny).toContain('layer + channel');
    expect(trained).toContain('>layer<');
    expect(trained).toContain('aria-current="true"');
  });
});

describe('run results', () => {
  it('shows a held hard budget as 100 % in the ok tone, with the random-weights warning', () => {
    const html = renderToStaticMarkup(<RunResults entry={entry()} />);
    expect(html).toMatch(/tone-ok[^]*data-testid="result-within" data-value="1">100 %</);
    expect(html).toContain('predictions and accuracy are meaningless');
    expect(html).toMatch(/data-testid="result-accuracy" data-value="0.1">10.0 %</);
    expect(html).toContain('41.3 % of static');
    expect(html).toContain('budget 2,500,000 MAC');
    // One bar per exit (3) plus the classifier, the empty ones included.
    expect(html.match(/data-testid="exit-bar"/g)).toHaveLength(4);
    expect(html).toMatch(/data-exit-id="exit1" data-count="20"/);
    expect(html).toMatch(/data-exit-id="exit2" data-count="0"/);
    // The per-block strip: blocks 3–5 never reached in any of the 20 inferences.
    expect(html).toMatch(/data-testid="heat-not-reached">(?:(?!<\/tr>)[^])*data-rate="1"/);
  });

  it('flags a budget that did not hold, and says "no budget" when there was none', () => {
    const broken = renderToStaticMarkup(<RunResults entry={entry({ withinBudget: 0.95 })} />);
    expect(broken).toMatch(/tone-bad[^]*data-testid="result-within" data-value="0.95">95.0 %</);
    const none = renderToStaticMarkup(<RunResults entry={entry({ mode: 'iadi', budget: null, withinBudget: 1 })} />);
    expect(none).toMatch(/data-testid="result-within" data-value="">no budget</);
    expect(none).not.toContain('100 %</div>');
    const trained = renderToStaticMarkup(<RunResults entry={entry({}, model({ randomWeights: false }))} />);
    expect(trained).not.toContain('meaningless');
  });

  it('labels a cost-table verdict as predicted and checks a latency budget against the measured wall time', () => {
    // The core accounts every inference within 2 ms by the latency table, but each took 3–15 ms.
    const budget = { kind: 'latency' as const, value: 0.002, text: '2ms' };
    const records = Array.from({ length: 20 }, (_, i) =>
      rec(i, { budget, budgetSpent: 0.0018, predictedLatencyS: 0.0018, startNs: i * 1e8, endNs: i * 1e8 + 3e6 + (i % 13) * 1e6 }),
    );
    const html = renderToStaticMarkup(<RunResults entry={entry({ budget: '2ms', withinBudget: 1, records })} />);
    expect(html).not.toContain('tone-ok');
    expect(html).not.toContain('every inference ≤');
    expect(html).toMatch(/tone-bad[^]*Measured ≤ 2 ms[^]*data-testid="result-within-measured" data-value="0">0.0 %</);
    expect(html).toContain('20 of 20 inferences took longer than 2 ms (wall time)');
    expect(html).toMatch(/Predicted ≤ 2 ms<\/div><div class="summary-value" data-testid="result-within" data-value="1">100 %</);
    expect(html).toContain('by the latency cost table (a model, not a measurement)');
    expect(html).toMatch(/tone-bad[^>]*><div class="summary-label">Wall time \/ inference/);
    expect(html.match(/data-over-budget="true"/g)?.length).toBe(html.match(/data-testid="record-row"/g)?.length);

    // Inferences that all ran within the budget as measured get the green verdict.
    const fast = records.map((r) => ({ ...r, endNs: r.startNs + 1e6 }));
    const ok = renderToStaticMarkup(<RunResults entry={entry({ budget: '2ms', withinBudget: 1, records: fast })} />);
    expect(ok).toMatch(
      /tone-ok[^>]*><div class="summary-label">Measured ≤ 2 ms<\/div><div class="summary-value" data-testid="result-within-measured" data-value="1">100 %/,
    );
    expect(ok).not.toContain('data-over-budget');

    // An energy budget is predicted only (nothing measured here): labelled so and never green.
    const energy = records.map((r) => ({ ...r, budget: { kind: 'energy' as const, value: 1e-3, text: '1mJ' } }));
    const e = renderToStaticMarkup(<RunResults entry={entry({ budget: '1mJ', withinBudget: 1, records: energy })} />);
    expect(e).toContain('Predicted ≤ 1 mJ');
    expect(e).toContain('by the energy cost table');
    expect(e).not.toContain('tone-ok');
  });

  it('lists the runs to compare with their mode, budget, accuracy and mean MACs', () => {
    const a = entry();
    const b = { ...entry({ mode: 'static', budget: null, meanMacs: 5_074_368 }), seq: 2 };
    const html = renderToStaticMarkup(<RunHistory runs={[b, a]} selected={1} onSelect={() => {}} />);
    expect(html.match(/data-testid="history-row"/g)).toHaveLength(2);
    expect(html).toMatch(/data-seq="2" data-mode="static" data-mean-macs="5074368"/);
    expect(html).toContain('2.10 MMAC');
    expect(html).toContain('2,500,000 MAC');
    expect(html).toMatch(/aria-selected="true"[^>]*data-seq="1"/);
  });
});

describe('records table', () => {
  it('renders a window of a long run, with spacers standing in for the rest', () => {
    const rows = recordRows(Array.from({ length: 1000 }, (_, i) => rec(i)));
    const html = renderToStaticMarkup(<RecordsTable rows={rows} dataset="fashion-mnist" />);
    const rendered = html.match(/data-testid="record-row"/g)?.length ?? 0;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);
    expect(html).toContain('data-rows="1000"');
    expect(html).toMatch(/<td colSpan="7" style="height:\d+px"><\/td>/i);
    // Index, class names, exit, MACs, halted and wall time (endNs − startNs = 2 ms).
    expect(html).toMatch(/<td class="num">0<\/td><td>0 T-shirt\/top<\/td><td>3 Dress/);
    expect(html).toContain('2.10 MMAC');
    expect(html).toContain('2.00 ms');
  });

  it('renders every row of a short run', () => {
    const rows = recordRows(Array.from({ length: 12 }, (_, i) => rec(i)));
    expect(renderToStaticMarkup(<RecordsTable rows={rows} dataset={undefined} />).match(/data-testid="record-row"/g)).toHaveLength(12);
  });
});

describe('run form', () => {
  const values: RunFormValues = { model: 'tiny-random-test', mode: 'static', budgetValue: '2.5', budgetUnit: 'MMAC', limit: '100' };
  const render = (v: RunFormValues, busy = false) =>
    renderToStaticMarkup(
      <RunForm models={[model()]} values={v} onChange={() => {}} onSubmit={() => {}} busy={busy} busyText="Running 100 images…" formError={null} />,
    );

  it('disables the budget outside radi/ddi and explains each mode', () => {
    const html = render(values);
    expect(html).toMatch(/<input id="run-budget"[^>]*disabled=""/);
    expect(html).toContain('Only the radi and ddi modes take a budget.');
    expect(html).toContain('Full network');
    expect(html).toContain('tiny-random-test (random weights)');
    expect(html).toMatch(/<optgroup label="Energy"><option value="uJ">uJ<\/option><option value="mJ">mJ<\/option><option value="J">J<\/option><\/optgroup>/);
    const ddi = render({ ...values, mode: 'ddi' });
    expect(ddi).not.toMatch(/<input id="run-budget"[^>]*disabled=""/);
    expect(ddi).toMatch(/<input id="run-budget"[^>]*value="2.5"/);
  });

  it('shows the busy state on the Run button', () => {
    expect(render(values, true)).toMatch(/<button type="submit" class="primary" disabled=""[^>]*>Running 100 images…<\/button>/);
  });
});
