import type { ModelSummaryDto } from '../../../main/api/contract';
import { count } from '../common/format';
import { formatFlops, formatMacs, formatParams } from './units';

export function gatesText(m: Pick<ModelSummaryDto, 'layerGates' | 'channelGates'>): string {
  if (m.layerGates && m.channelGates) return 'layer + channel';
  if (m.layerGates) return 'layer';
  if (m.channelGates) return 'channel';
  return 'none';
}

/** One card per installed model; choosing a card puts it in the run form. */
export function ModelCards({ models, selected, onSelect }: { models: ModelSummaryDto[]; selected: string; onSelect: (id: string) => void }) {
  return (
    <div className="model-cards" data-testid="model-cards">
      {models.map((m) => (
        <article
          key={m.id}
          className={`model-card${m.id === selected ? ' selected' : ''}`}
          data-testid="model-card"
          data-model-id={m.id}
          aria-current={m.id === selected ? 'true' : undefined}
        >
          <header className="model-card-head">
            <h3 title={m.name !== m.id ? `${m.name} (folder ${m.id})` : m.id}>{m.id}</h3>
          </header>
          <dl className="model-facts">
            <dt>Architecture</dt>
            <dd>
              {m.architecture} <span className="muted">({m.kind})</span>
            </dd>
            <dt>Dataset</dt>
            <dd>{m.dataset ?? '—'}</dd>
            <dt>Parameters</dt>
            <dd title={`${count(m.params)} parameters`}>{formatParams(m.params)}</dd>
            <dt>Backbone</dt>
            <dd>
              <span data-testid="card-macs" data-macs={m.backboneMacs} title={`${count(m.backboneMacs)} MACs`}>
                {formatMacs(m.backboneMacs)}
              </span>{' '}
              <span className="muted" title="FLOPs counted as 2 × MACs">
                · {formatFlops(m.backboneMacs)} (2×MACs)
              </span>
            </dd>
            <dt>Exits</dt>
            <dd data-testid="card-exits">{m.exits}</dd>
            <dt>Gates</dt>
            <dd data-testid="card-gates">{gatesText(m)}</dd>
          </dl>
          {m.description ? <p className="model-desc">{m.description}</p> : null}
          <button type="button" className="small" onClick={() => onSelect(m.id)} disabled={m.id === selected} data-testid="model-choose">
            {m.id === selected ? 'Selected' : 'Use this model'}
          </button>
        </article>
      ))}
    </div>
  );
}
