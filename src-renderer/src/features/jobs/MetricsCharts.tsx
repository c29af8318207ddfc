import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber, type MetricPoint } from './jobFormat';

const TRAIN = '#4b55d6';
const VALID = '#d2581a';

function Chart({
  title,
  points,
  train,
  valid,
  percent,
  testId,
}: {
  title: string;
  points: MetricPoint[];
  train: keyof MetricPoint;
  valid: keyof MetricPoint;
  percent?: boolean;
  testId: string;
}) {
  const hasTrain = points.some((p) => p[train] !== null);
  const hasValid = points.some((p) => p[valid] !== null);
  const fmt = (v: number) => (percent ? `${Math.round(v * 100)}%` : formatNumber(v, 3));
  // Explicit, never-empty domains: a single point (or equal values) would give recharts a zero-width range.
  const steps = points.map((p) => p.step);
  const xMin = Math.min(...steps);
  const xDomain: [number, number] = [xMin, Math.max(xMin + 1, ...steps)];
  const values = points.flatMap((p) => [p[train], p[valid]]).filter((v): v is number => v !== null);
  const yMax = values.length ? Math.max(...values) : 1;
  const yDomain: [number, number] = percent ? [0, 1] : [0, yMax > 0 ? Number((yMax * 1.1).toPrecision(2)) : 1];
  return (
    <figure className="jobs-chart" data-testid={testId} data-points={points.length}>
      <figcaption>{title}</figcaption>
      {hasTrain || hasValid ? (
        <ResponsiveContainer width="100%" height={210}>
          <LineChart data={points} margin={{ top: 8, right: 14, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#8b94a233" />
            <XAxis
              dataKey="step"
              type="number"
              domain={xDomain}
              allowDecimals={false}
              tick={{ fontSize: 11 }}
              stroke="#8b94a2"
            />
            <YAxis domain={yDomain} tickFormatter={fmt} width={44} tick={{ fontSize: 11 }} stroke="#8b94a2" />
            <Tooltip
              formatter={(v) => (typeof v === 'number' ? fmt(v) : String(v))}
              labelFormatter={(s) => `Step ${String(s)}`}
            />
            <Legend verticalAlign="top" height={22} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
            <Line
              type="monotone"
              dataKey={train}
              name="Train"
              stroke={TRAIN}
              strokeWidth={2}
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
            {hasValid ? (
              <Line
                type="monotone"
                dataKey={valid}
                name="Validation"
                stroke={VALID}
                strokeWidth={2}
                dot={{ r: 2.5 }}
                connectNulls
                isAnimationActive={false}
              />
            ) : null}
          </LineChart>
        </ResponsiveContainer>
      ) : (
        <p className="jobs-chart-empty muted">No {title.toLowerCase()} reported yet.</p>
      )}
    </figure>
  );
}

/** Live loss and accuracy, train against validation; validation points are sparse and drawn as dots. */
export function MetricsCharts({ points }: { points: MetricPoint[] }) {
  const last = points[points.length - 1];
  const lastValid = [...points].reverse().find((p) => p.validLoss !== null);
  return (
    <section className="card jobs-charts" aria-labelledby="jobs-charts-title">
      <div className="jobs-card-header">
        <h3 id="jobs-charts-title" className="card-title">
          Loss and accuracy
        </h3>
        <p className="small muted" data-testid="latest-metrics" aria-live="polite">
          {last
            ? `Step ${last.step} · train loss ${formatNumber(last.trainLoss)}${
                lastValid ? ` · validation loss ${formatNumber(lastValid.validLoss)} (step ${lastValid.step})` : ''
              }`
            : 'Waiting for the first metrics…'}
        </p>
      </div>
      <div className="jobs-chart-grid">
        <Chart title="Loss" points={points} train="trainLoss" valid="validLoss" testId="loss-chart" />
        <Chart
          title="Accuracy"
          points={points}
          train="trainAccuracy"
          valid="validAccuracy"
          percent
          testId="accuracy-chart"
        />
      </div>
    </section>
  );
}
