import { count, si } from '../common/format';
import { RecordsTable } from './RecordsTable';
import { budgetLabel } from './runForm';
import type { RunEntry } from './runStore';
import {
  blockStats,
  budgetVerdict,
  channelStats,
  exitDistribution,
  recordRows,
  summarize,
  type BlockStat,
  type BudgetVerdict,
  type ChannelStat,
  type ExitBar,
} from './runStats';
import { formatFlops, formatMacs, formatShare } from './units';

/** Everything one run measured: headline numbers, where inferences exited, what was skipped, each inference. */
export function RunResults({ entry }: { entry: RunEntry }) {
  const { run, model } = entry;
  const s = summarize(run);
  const exits = exitDistribution(run.exitCounts, model?.exits ?? 0);
  const blocks = blockStats(run.records);
  const channels = channelStats(run.records);
  const verdict = budgetVerdict(run);
  return (
    <section className="card" data-testid="run-results" data-count={run.count} data-mode={run.mode} data-seq={entry.seq}>
      <div className="card-head">
        <h2>
          Result: {run.model} · {run.mode}
          {run.budget ? ` · budget ${budgetLabel(run.budget)}` : ''}
        </h2>
        <span className="muted">
          {count(run.count)} images of the {run.dataset} set · backend {run.backend}
        </span>
      </div>
      {model?.randomWeights ? (
        <p className="random-note" data-testid="random-note">
          This model has random weights: its predictions and accuracy are meaningless; the costs, exits and skipping are real.
        </p>
      ) : null}

      <div className="summary" data-testid="result-summary">
        <Stat
          label="Accuracy"
          value={formatShare(s.accuracy)}
          raw={s.accuracy}
          testId="result-accuracy"
          note={`${count(s.correct)} of ${count(s.count)} correct`}
        />
        <Stat
          label="Mean MACs"
          value={formatMacs(s.meanMacs)}
          raw={s.meanMacs}
          testId="result-mean-macs"
          note={`${formatShare(s.macsShare)} of static (${formatMacs(s.staticMacs)}) · ${formatFlops(s.meanMacs)}`}
        />
        <BudgetStats run={run} verdict={verdict} />
        <Stat
          label="Wall time / inference"
          value={si(s.meanInferenceS, 's')}
          raw={s.meanInferenceS}
          testId="result-wall"
          tone={verdict?.kind === 'latency' && s.meanInferenceS !== null && s.meanInferenceS > verdict.value ? 'bad' : undefined}
          note={`run ÷ count: ${si(s.meanWallS, 's')} (with worker overhead)`}
        />
        <Stat label="Halted at an exit" value={count(s.halted)} raw={s.halted} testId="result-halted" note={`of ${count(s.count)}`} />
      </div>

      <div className="result-grid">
        <ExitBars exits={exits} />
        <BlockStrip blocks={blocks} channels={channels} />
      </div>

      <h3 className="section-title">Per inference</h3>
      <RecordsTable rows={recordRows(run.records)} dataset={model?.dataset} latencyBudgetS={verdict?.kind === 'latency' ? verdict.value : undefined} />
    </section>
  );
}

/**
 * The budget verdicts. Counted MACs give a plain "within budget"; a cost-table prediction is
 * labelled "predicted" and never shown green, so it cannot pass for a measurement; a latency
 * budget leads with the measured wall time per inference.
 */
function BudgetStats({ run, verdict }: { run: RunEntry['run']; verdict: BudgetVerdict | null }) {
  const label = budgetLabel(run.budget);
  if (verdict === null) {
    return <Stat label="Within budget" value="no budget" raw={null} testId="result-within" note={`${run.mode} runs without a budget`} />;
  }
  const accounted = verdict.accounted;
  if (verdict.basis === 'counted') {
    return (
      <Stat
        label="Within budget"
        value={formatShare(accounted)}
        raw={accounted}
        testId="result-within"
        tone={accounted === 1 ? 'ok' : 'bad'}
        big
        note={accounted === 1 ? `every inference ≤ ${label} (MACs counted)` : `some inferences exceeded ${label} (MACs counted)`}
      />
    );
  }
  const table = verdict.kind === 'latency' ? 'latency' : 'energy';
  const predicted = (
    <Stat
      label={`Predicted ≤ ${label}`}
      value={formatShare(accounted)}
      raw={accounted}
      testId="result-within"
      tone={accounted === 1 ? undefined : 'bad'}
      big={verdict.measured === null}
      note={`by the ${table} cost table (a model, not a measurement)`}
    />
  );
  if (verdict.measured === null) return predicted;
  const n = run.records.length;
  return (
    <>
      <Stat
        label={`Measured ≤ ${label}`}
        value={formatShare(verdict.measured)}
        raw={verdict.measured}
        testId="result-within-measured"
        tone={verdict.measured === 1 ? 'ok' : 'bad'}
        big
        note={
          verdict.measuredOver === 0
            ? `every inference's wall time ≤ ${label}`
            : `${count(verdict.measuredOver)} of ${count(n)} inferences took longer than ${label} (wall time)`
        }
      />
      {predicted}
    </>
  );
}

function Stat({
  label,
  value,
  raw,
  testId,
  note,
  tone,
  big,
}: {
  label: string;
  value: string;
  raw: number | null;
  testId: string;
  note?: string;
  tone?: 'ok' | 'bad';
  big?: boolean;
}) {
  return (
    <div className={`summary-card${tone ? ` tone-${tone}` : ''}${big ? ' stat-big' : ''}`}>
      <div className="summary-label">{label}</div>
      <div className="summary-value" data-testid={testId} data-value={raw ?? ''}>
        {value}
      </div>
      {note ? <div className="stat-note">{note}</div> : null}
    </div>
  );
}

function ExitBars({ exits }: { exits: ExitBar[] }) {
  return (
    <div className="exit-bars" data-testid="exit-bars">
      <h3 className="section-title">Exit distribution</h3>
      {exits.map((e) => (
        <div key={e.exitId} className="exit-row" data-testid="exit-bar" data-exit-id={e.exitId} data-count={e.count}>
          <span className="exit-name">{e.exitId}</span>
          <span className="exit-track">
            <span className="exit-fill" style={{ width: `${e.share * 100}%` }} />
          </span>
          <span className="exit-count">
            {count(e.count)} <span className="muted">({formatShare(e.share, 0)})</span>
          </span>
        </div>
      ))}
    </div>
  );
}

/** Rates as cell shading: one column per block (or gated layer), darker = more often. */
function BlockStrip({ blocks, channels }: { blocks: BlockStat[]; channels: ChannelStat[] }) {
  if (blocks.length === 0) return null;
  return (
    <div className="block-strip" data-testid="block-strip">
      <h3 className="section-title">Blocks skipped per block</h3>
      <table className="heat">
        <thead>
          <tr>
            <th />
            {blocks.map((b) => (
              <th key={b.block}>{b.block}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          <HeatRow
            label="skipped by gate"
            testId="heat-skipped"
            cells={blocks.map((b) => ({ key: b.block, rate: b.skipRate, title: `block ${b.block}: skipped by its gate in ${b.skipped} inferences` }))}
          />
          <HeatRow
            label="not reached (halted)"
            testId="heat-not-reached"
            tone="halt"
            cells={blocks.map((b) => ({
              key: b.block,
              rate: b.notReachedRate,
              title: `block ${b.block}: not reached in ${b.notReached} inferences (halted at an earlier exit)`,
            }))}
          />
        </tbody>
      </table>
      {channels.length > 0 ? (
        <table className="heat" data-testid="heat-channels">
          <thead>
            <tr>
              <th>layer</th>
              {channels.map((c) => (
                <th key={c.layer}>{c.layer}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <HeatRow
              label="channels kept"
              testId="heat-channels-kept"
              tone="keep"
              cells={channels.map((c) => ({
                key: c.layer,
                rate: c.keptShare,
                title: `layer ${c.layer}: ${formatShare(c.keptShare)} of channels kept, over ${c.samples} inferences that ran it`,
              }))}
            />
          </tbody>
        </table>
      ) : null}
      <p className="help">
        Numbers are % of inferences (darker = more often). Blocks skipped by a gate save their MACs; blocks not reached were cut off by a budget halt.
      </p>
    </div>
  );
}

function HeatRow({
  label,
  cells,
  testId,
  tone = 'skip',
}: {
  label: string;
  cells: Array<{ key: number; rate: number; title: string }>;
  testId: string;
  tone?: 'skip' | 'halt' | 'keep';
}) {
  return (
    <tr data-testid={testId}>
      <th scope="row">{label}</th>
      {cells.map((c) => (
        <td key={c.key} className={`heat-cell heat-${tone}`} title={c.title} data-rate={c.rate}>
          <span className="heat-shade" style={{ opacity: 0.08 + c.rate * 0.92 }} />
          <span className="heat-num">{Math.round(c.rate * 100)}</span>
        </td>
      ))}
    </tr>
  );
}
