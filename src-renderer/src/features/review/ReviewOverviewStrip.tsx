import { useEffect, useRef } from 'react';
import type { CoverageRow, ReviewOverview } from '../../api/contract';

function pct(x: number | null, digits = 0): string {
  return x === null ? '—' : `${(x * 100).toFixed(digits)}%`;
}

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rq-stat" title={hint}>
      <span className="rq-stat-value">{value}</span>
      <span className="rq-stat-label">{label}</span>
    </div>
  );
}

function Coverage({ title, rows, max }: { title: string; rows: CoverageRow[]; max: number }) {
  return (
    <section className="rq-coverage-col" aria-label={`Coverage by ${title.toLowerCase()}`}>
      <h3 className="section-title">{title}</h3>
      {rows.length ? (
        <table className="rq-coverage-table">
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col" className="num">
                Approved
              </th>
              <th scope="col" className="num">
                Share
              </th>
              <th scope="col" className="num">
                Pending
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} className={r.thin ? 'thin' : undefined}>
                <th scope="row">
                  <span
                    className="rq-bar"
                    style={{ width: `${max ? (r.approved / max) * 100 : 0}%` }}
                    aria-hidden="true"
                  />
                  <span className="rq-class">{r.name}</span>
                  {r.thin ? <span className="chip chip-xs chip-warn">thin</span> : null}
                </th>
                <td className="num">{r.approved.toLocaleString()}</td>
                <td className="num">{pct(r.share, 1)}</td>
                <td className="num muted">{r.pending.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">No labelled examples yet.</p>
      )}
    </section>
  );
}

/** The seed figures, and coverage per threat type and ATT&CK tactic with thin classes flagged. */
export function ReviewOverviewStrip({ overview }: { overview: ReviewOverview | null }) {
  const o = overview;
  const maxThreat = Math.max(0, ...(o?.byThreatType.map((r) => r.approved) ?? []));
  const maxTactic = Math.max(0, ...(o?.byTactic.map((r) => r.approved) ?? []));
  const thin = o ? o.byThreatType.filter((r) => r.thin).length + o.byTactic.filter((r) => r.thin).length : 0;
  // The open coverage panel lies over the filters and bulk actions: a click anywhere else closes it.
  const coverage = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      const d = coverage.current;
      if (d?.open && e.target instanceof Node && !d.contains(e.target)) d.open = false;
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, []);
  return (
    <section className="rq-overview" aria-label="Overview" data-testid="review-overview">
      <div className="rq-stats">
        <Stat label="Total" value={o ? o.total.toLocaleString() : '—'} hint="All labelled examples" />
        <Stat label="Approved" value={o ? o.approved.toLocaleString() : '—'} />
        <Stat label="High quality" value={o ? o.highQuality.toLocaleString() : '—'} hint="Approved with quality ≥ 4" />
        <Stat label="Approval rate" value={o ? pct(o.approvalRate) : '—'} hint="Approved ÷ decided" />
        <Stat label="Avg quality" value={o?.averageQuality != null ? o.averageQuality.toFixed(2) : '—'} />
      </div>
      <details className="rq-coverage" ref={coverage}>
        <summary>
          Coverage{' '}
          {o ? (
            <span className="muted small">
              {thin
                ? `${thin} thin ${thin === 1 ? 'class' : 'classes'} (< ${o.thinRule.minApproved} approved or < ${o.thinRule.minShare * 100}%)`
                : 'no thin classes'}
            </span>
          ) : null}
        </summary>
        {o ? (
          <div className="rq-coverage-grid">
            <Coverage title="Threat type" rows={o.byThreatType} max={maxThreat} />
            <Coverage title="ATT&CK tactic" rows={o.byTactic} max={maxTactic} />
          </div>
        ) : null}
      </details>
    </section>
  );
}
