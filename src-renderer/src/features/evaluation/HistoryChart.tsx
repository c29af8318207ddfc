import { useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { EVAL_METRICS, type EvalMetric, type EvaluationHistoryPoint } from '../../api/contract';
import { METRIC_SHORT, pct } from './evalFormat';

const COLORS = ['#4b55d6', '#d2581a', '#1f9d6b', '#b3369a', '#8a6d00', '#2a8ab8', '#7a4fd6', '#c23b3b'];

/**
 * A metric across evaluation runs, one line per model version: each run is a point on the x axis, so a
 * fine-tuned version's line shows whether it moved past its base.
 */
export function HistoryChart({ history }: { history: EvaluationHistoryPoint[] }) {
  const [metric, setMetric] = useState<EvalMetric>('verdictMacroF1');
  const { rows, models } = useMemo(() => {
    const runs = [...new Set(history.map((h) => h.evaluationId))];
    const models = [...new Map(history.map((h) => [h.modelId, h.modelName])).entries()];
    const rows = runs.map((id, i) => {
      const row: Record<string, number | string | null> = { run: i + 1, label: `#${id}` };
      for (const h of history.filter((x) => x.evaluationId === id)) row[`m${h.modelId}`] = h.metrics[metric];
      return row;
    });
    return { rows, models };
  }, [history, metric]);
  return (
    <section className="card" aria-labelledby="eval-history-title">
      <div className="eval-section-header">
        <h2 id="eval-history-title" className="card-title">
          Over time, across versions
        </h2>
        <label className="small">
          Metric{' '}
          <select className="input select" value={metric} onChange={(e) => setMetric(e.target.value as EvalMetric)}>
            {EVAL_METRICS.map((k) => (
              <option key={k} value={k}>
                {METRIC_SHORT[k]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {rows.length === 0 ? (
        <p className="muted small">Finished runs appear here.</p>
      ) : (
        <figure className="eval-chart" data-testid="history-chart" data-points={rows.length}>
          <ResponsiveContainer width="100%" height={240}>
            <LineChart data={rows} margin={{ top: 8, right: 18, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#8b94a233" />
              <XAxis
                dataKey="run"
                type="number"
                domain={[0.5, Math.max(1.5, rows.length + 0.5)]}
                ticks={rows.map((r) => r.run as number)}
                tickFormatter={(v: number) => String(rows[v - 1]?.label ?? '')}
                tick={{ fontSize: 11 }}
                stroke="#8b94a2"
              />
              <YAxis
                domain={[0, 1]}
                tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
                width={44}
                tick={{ fontSize: 11 }}
                stroke="#8b94a2"
              />
              <Tooltip
                formatter={(v) => (typeof v === 'number' ? pct(v) : String(v))}
                labelFormatter={(v) => `Run ${String(rows[Number(v) - 1]?.label ?? '')}`}
              />
              <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
              {models.map(([id, name], i) => (
                <Line
                  key={id}
                  type="monotone"
                  dataKey={`m${id}`}
                  name={name}
                  stroke={COLORS[i % COLORS.length]}
                  strokeWidth={2}
                  dot={{ r: 3 }}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </figure>
      )}
    </section>
  );
}
