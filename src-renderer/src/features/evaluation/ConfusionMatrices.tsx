import { EVAL_FIELDS, type EvaluationResultRow, type ModelEvalMetrics } from '../../api/contract';
import { classLabel, FIELD_LABEL, pct } from './evalFormat';
import { useEvaluationStore } from './evaluationStore';

function Matrix({ m }: { m: ModelEvalMetrics }) {
  const field = useEvaluationStore((s) => s.field);
  const cell = useEvaluationStore((s) => s.cell);
  const openCell = useEvaluationStore((s) => s.openCell);
  const report = m.fields[field];
  const { labels, cells } = report.confusion;
  const max = Math.max(1, ...cells.flat());
  return (
    <figure className="eval-matrix" data-testid={`matrix-${m.modelId}`}>
      <figcaption>
        {m.modelName}{' '}
        <span className="muted small">
          accuracy {pct(report.accuracy)} · macro-F1 {pct(report.macroF1)}
        </span>
      </figcaption>
      {labels.length === 0 ? (
        <p className="muted small">Nothing labelled for this field.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col" className="eval-matrix-corner">
                <span>answered →</span>
                <span>expected ↓</span>
              </th>
              {labels.map((l) => (
                <th key={l} scope="col">
                  {classLabel(l)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((e, i) => (
              <tr key={e}>
                <th scope="row">{classLabel(e)}</th>
                {labels.map((p, j) => {
                  const n = cells[i]![j]!;
                  const open =
                    cell?.modelId === m.modelId && cell.expected === e && cell.predicted === p && cell.field === field;
                  const strength = n / max;
                  return (
                    <td key={p} className={i === j ? 'diag' : undefined}>
                      {n > 0 ? (
                        <button
                          type="button"
                          className={open ? 'eval-cell open' : 'eval-cell'}
                          style={{ ['--cell' as string]: strength.toFixed(2) }}
                          aria-label={`${n} expected ${classLabel(e)}, answered ${classLabel(p)}`}
                          aria-pressed={open}
                          onClick={() =>
                            void openCell(open ? null : { modelId: m.modelId, field, expected: e, predicted: p })
                          }
                        >
                          {n}
                        </button>
                      ) : (
                        <span className="eval-cell-zero">0</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}

function answerText(a: EvaluationResultRow['expected'] | null): string {
  if (!a) return 'invalid';
  return [a.verdict ?? '—', a.severity ?? '—', a.threatType ?? '—', a.techniques.join(', ') || '(none)'].join(' · ');
}

function DrillDown() {
  const cell = useEvaluationStore((s) => s.cell);
  const rows = useEvaluationStore((s) => s.cellRows);
  const total = useEvaluationStore((s) => s.cellTotal);
  const loading = useEvaluationStore((s) => s.cellLoading);
  const detail = useEvaluationStore((s) => s.detail);
  const openCell = useEvaluationStore((s) => s.openCell);
  if (!cell) return <p className="muted small">Pick a cell to see the examples in it.</p>;
  const model = detail?.metrics.find((m) => m.modelId === cell.modelId);
  return (
    <section className="eval-drill" aria-label="Examples in the cell" data-testid="drill-down">
      <header className="eval-drill-header">
        <h3>
          {model?.modelName}: expected <strong>{classLabel(cell.expected)}</strong>, answered{' '}
          <strong>{classLabel(cell.predicted)}</strong> — {loading ? '…' : `${total} example${total === 1 ? '' : 's'}`}
        </h3>
        <button type="button" className="btn btn-sm btn-ghost" onClick={() => void openCell(null)}>
          Close
        </button>
      </header>
      <ol className="eval-drill-list">
        {rows.map((r) => (
          <li key={r.id}>
            <div className="eval-drill-title">{r.title ?? r.exampleRef}</div>
            <div className="small">
              <span className="muted">Expected:</span> {answerText(r.expected)}
            </div>
            <div className="small">
              <span className="muted">Answered:</span> {answerText(r.predicted)}
              {r.error ? <span className="error-text"> — {r.error}</span> : null}
              <span className="muted">
                {' '}
                · {r.latencyMs} ms · {r.completionTokens} tokens
              </span>
            </div>
            <details>
              <summary className="small">Raw answer</summary>
              <pre className="eval-raw">{r.rawOutput || '(empty)'}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** A confusion matrix per model for the chosen field; any cell opens the examples in it. */
export function ConfusionMatrices({ metrics }: { metrics: ModelEvalMetrics[] }) {
  const field = useEvaluationStore((s) => s.field);
  const setField = useEvaluationStore((s) => s.setField);
  return (
    <section className="card" aria-labelledby="eval-matrix-title">
      <div className="eval-section-header">
        <h2 id="eval-matrix-title" className="card-title">
          Confusion matrices
        </h2>
        <div className="segmented" role="radiogroup" aria-label="Field">
          {EVAL_FIELDS.map((f) => (
            <label key={f} className={f === field ? 'segment checked' : 'segment'}>
              <input type="radio" name="eval-field" checked={f === field} onChange={() => setField(f)} />
              {FIELD_LABEL[f]}
            </label>
          ))}
        </div>
      </div>
      <div className="eval-matrices">
        {metrics.map((m) => (
          <Matrix key={m.modelId} m={m} />
        ))}
      </div>
      <DrillDown />
    </section>
  );
}
