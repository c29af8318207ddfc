import { useJobsStore } from './jobsStore';

function Figure({
  label,
  value,
  note,
  testId,
}: {
  label: string;
  value: number | undefined;
  note?: string;
  testId: string;
}) {
  return (
    <div className="jobs-figure" data-testid={testId}>
      <span className="jobs-figure-label">{label}</span>
      <span className="jobs-figure-value">{value === undefined ? '—' : value.toLocaleString()}</span>
      {note ? <span className="jobs-figure-note">{note}</span> : null}
    </div>
  );
}

/** The training data at a glance: labelled examples, approved, high quality (≥ 4), versions, jobs. */
export function TrainingOverviewStrip() {
  const o = useJobsStore((s) => s.overview);
  return (
    <section className="jobs-overview" aria-label="Training data overview">
      <Figure
        label="Labelled examples"
        value={o?.total}
        note={o ? `${o.pending.toLocaleString()} pending · ${o.rejected.toLocaleString()} rejected` : undefined}
        testId="overview-total"
      />
      <Figure
        label="Approved"
        value={o?.approved}
        note={o && o.total ? `${Math.round((o.approved / o.total) * 100)}% of labelled` : undefined}
        testId="overview-approved"
      />
      <Figure
        label="High quality (≥ 4)"
        value={o?.highQuality}
        note={o ? `${o.approvedHighQuality.toLocaleString()} of them approved` : undefined}
        testId="overview-high-quality"
      />
      <Figure label="Dataset versions" value={o?.datasetVersions} testId="overview-versions" />
      <Figure
        label="Active training jobs"
        value={o ? o.jobs.running + o.jobs.queued : undefined}
        note={
          o
            ? `${o.jobs.running} running · ${o.jobs.queued} queued · ${o.jobs.succeeded} succeeded${
                o.jobs.failed ? ` · ${o.jobs.failed} failed` : ''
              }`
            : undefined
        }
        testId="overview-jobs"
      />
    </section>
  );
}
