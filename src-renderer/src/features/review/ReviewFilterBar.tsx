import { SEVERITIES, SOURCE_KINDS, VERDICTS } from '../../api/contract';
import { Icon } from '../../components/Icon';
import { SOURCE_KIND_LABEL } from '../../lib/format';
import { VERDICT_LABEL } from '../labels/LabelPanel';
import { cleanFilter, useReviewQueueStore, type QueueFilter } from './reviewStore';

const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/i;
const DAY_MS = 86_400_000;

/** yyyy-mm-dd (local) ↔ epoch ms at local midnight; `to` is exclusive, so it is the next midnight. */
function toDateInput(ms: number | undefined, exclusiveEnd = false): string {
  if (ms === undefined) return '';
  const d = new Date(exclusiveEnd ? ms - DAY_MS : ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function fromDateInput(value: string, exclusiveEnd = false): number | undefined {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  const start = new Date(y!, m! - 1, d!).getTime();
  return exclusiveEnd ? start + DAY_MS : start;
}

function Select({
  label,
  value,
  onChange,
  options,
  any = 'Any',
}: {
  label: string;
  value: string | number | undefined;
  onChange(v: string): void;
  options: { value: string | number; label: string }[];
  any?: string;
}) {
  return (
    <label className="rq-filter">
      <span className="rq-filter-label">{label}</span>
      <select
        className="input select"
        aria-label={`Filter by ${label.toLowerCase()}`}
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">{any}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Every queue filter: source, verdict, threat type, severity, technique, tactic, quality, labeller, dates, text. */
export function ReviewFilterBar() {
  const filter = useReviewQueueStore((s) => s.filter);
  const facets = useReviewQueueStore((s) => s.facets);
  const tactics = useReviewQueueStore((s) => s.tactics);
  const { setFilter, clearFilters } = useReviewQueueStore.getState();
  const set = (patch: Partial<QueueFilter>) => setFilter(patch);
  const active = Object.keys(cleanFilter(filter)).length;
  const qualities = [1, 2, 3, 4, 5].map((q) => ({ value: q, label: String(q) }));

  return (
    <div className="rq-filters" role="search" aria-label="Filter the review queue">
      <div className="search rq-search">
        <Icon name="search" size={14} className="search-icon" />
        <input
          className="input search-input"
          type="search"
          aria-label="Search examples"
          placeholder="Search text…"
          value={filter.text ?? ''}
          onChange={(e) => set({ text: e.target.value })}
        />
      </div>
      <Select
        label="Source"
        value={filter.sourceKind}
        onChange={(v) => set({ sourceKind: (v || undefined) as QueueFilter['sourceKind'] })}
        options={SOURCE_KINDS.map((k) => ({ value: k, label: SOURCE_KIND_LABEL[k] }))}
      />
      <Select
        label="Verdict"
        value={filter.verdict}
        onChange={(v) => set({ verdict: (v || undefined) as QueueFilter['verdict'] })}
        options={VERDICTS.map((k) => ({ value: k, label: VERDICT_LABEL[k] }))}
      />
      <Select
        label="Threat type"
        value={filter.threatType}
        onChange={(v) => set({ threatType: v || undefined })}
        options={facets.threatTypes.map((t) => ({ value: t, label: t }))}
      />
      <Select
        label="Severity"
        value={filter.severity}
        onChange={(v) => set({ severity: (v || undefined) as QueueFilter['severity'] })}
        options={SEVERITIES.map((k) => ({ value: k, label: k }))}
      />
      <label className="rq-filter">
        <span className="rq-filter-label">Technique</span>
        <input
          className="input mono rq-technique"
          aria-label="Filter by technique"
          placeholder="T1059"
          defaultValue={filter.technique ?? ''}
          key={filter.technique ?? ''}
          onBlur={(e) => {
            const v = e.target.value.trim().toUpperCase();
            if (v === (filter.technique ?? '')) return;
            if (!v || TECHNIQUE_ID.test(v)) set({ technique: v || undefined });
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          }}
        />
      </label>
      <Select
        label="Tactic"
        value={filter.tactic}
        onChange={(v) => set({ tactic: v || undefined })}
        options={tactics.map((t) => ({ value: t.id, label: t.name }))}
      />
      <Select
        label="Quality ≥"
        value={filter.qualityMin}
        onChange={(v) => set({ qualityMin: v ? Number(v) : undefined })}
        options={qualities}
      />
      <Select
        label="Quality ≤"
        value={filter.qualityMax}
        onChange={(v) => set({ qualityMax: v ? Number(v) : undefined })}
        options={qualities}
      />
      <Select
        label="Labeller"
        value={filter.labeller}
        onChange={(v) => set({ labeller: v || undefined })}
        options={facets.labellers.map((t) => ({ value: t, label: t }))}
      />
      <label className="rq-filter">
        <span className="rq-filter-label">Labelled from</span>
        <input
          className="input rq-date"
          type="date"
          aria-label="Labelled from"
          value={toDateInput(filter.from)}
          onChange={(e) => set({ from: fromDateInput(e.target.value) })}
        />
      </label>
      <label className="rq-filter">
        <span className="rq-filter-label">to</span>
        <input
          className="input rq-date"
          type="date"
          aria-label="Labelled to"
          value={toDateInput(filter.to, true)}
          onChange={(e) => set({ to: fromDateInput(e.target.value, true) })}
        />
      </label>
      {active ? (
        <button type="button" className="btn btn-ghost btn-sm rq-clear" onClick={clearFilters}>
          Clear filters ({active})
        </button>
      ) : null}
    </div>
  );
}
