import type { ModelEvalMetrics } from '../../api/contract';
import { pct } from './evalFormat';

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="eval-stat" title={hint}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** One card per model version: headline numbers, the seed's success badges, speed and cost. */
export function MetricCards({ metrics }: { metrics: ModelEvalMetrics[] }) {
  return (
    <div className="eval-cards">
      {metrics.map((m) => (
        <article
          key={m.modelId}
          className="card eval-card"
          aria-label={`Metrics of ${m.modelName}`}
          data-testid={`metric-card-${m.modelId}`}
        >
          <header className="eval-card-header">
            <h3>{m.modelName}</h3>
            <span className="muted small">
              {m.done}/{m.total} answered
              {m.parallel ? ` · ${m.parallel} ${m.kind === 'local_gguf' ? 'sequences' : 'requests'} at once` : ''}
            </span>
          </header>
          <ul className="eval-badges" aria-label="Success criteria">
            {m.badges.map((b) => (
              <li
                key={b.metric}
                className={b.pass === null ? 'eval-badge na' : b.pass ? 'eval-badge pass' : 'eval-badge fail'}
                title={
                  b.pass === null
                    ? 'No item of that class in this set'
                    : `${pct(b.value)} (needs > ${pct(b.threshold, 0)})`
                }
              >
                <span aria-hidden="true">{b.pass === null ? '·' : b.pass ? '✓' : '✗'}</span> {b.label}
                <span className="visually-hidden">
                  {b.pass === null ? ': not applicable' : b.pass ? ': pass' : ': fail'}
                </span>
              </li>
            ))}
          </ul>
          <dl className="eval-stats">
            <Stat
              label="Accuracy"
              value={pct(m.accuracy)}
              hint="Verdict accuracy over every example; an invalid answer is wrong."
            />
            <Stat label="Verdict macro-F1" value={pct(m.fields.verdict.macroF1)} />
            <Stat label="Severity macro-F1" value={pct(m.fields.severity.macroF1)} />
            <Stat label="Threat type macro-F1" value={pct(m.fields.threatType.macroF1)} />
            <Stat
              label="Technique macro-F1"
              value={pct(m.fields.technique.macroF1)}
              hint="Primary (first) ATT&CK technique."
            />
            <Stat
              label="Technique set F1"
              value={pct(m.techniqueSet.f1)}
              hint="Micro F1 over every technique id listed."
            />
            <Stat
              label="Critical recall"
              value={pct(m.criticalRecall)}
              hint="Of the items labelled critical, the share rated critical."
            />
            <Stat
              label="High precision"
              value={pct(m.highPrecision)}
              hint="Of the items rated high, the share labelled high."
            />
            <Stat
              label="False-positive rate"
              value={pct(m.fpr)}
              hint="Benign or false-positive items called a true positive."
            />
            <Stat label="Invalid outputs" value={pct(m.invalidRate)} />
            <Stat
              label="Latency p50 / p95"
              value={m.latencyMs.p50 === null ? '—' : `${m.latencyMs.p50} / ${m.latencyMs.p95} ms`}
            />
            <Stat label="Tokens/s" value={m.tokensPerSecond === null ? '—' : m.tokensPerSecond.toFixed(1)} />
            <Stat label="Examples/s" value={m.examplesPerSecond === null ? '—' : m.examplesPerSecond.toFixed(2)} />
            <Stat
              label="Cost"
              value={m.costUsd === null ? (m.kind === 'local_gguf' ? 'local' : '—') : `$${m.costUsd.toFixed(4)}`}
            />
          </dl>
        </article>
      ))}
    </div>
  );
}
