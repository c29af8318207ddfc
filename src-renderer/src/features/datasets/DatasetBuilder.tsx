import { useEffect, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { useApiEvent } from '../../api/useApiEvent';
import {
  EXPORT_FORMATS,
  SEVERITIES,
  SOURCE_KINDS,
  STRATIFY_BY,
  TASKS,
  VERDICTS,
  type BuildReport,
  type DatasetVersionDetail,
  type ExportFormat,
  type SecretFix,
} from './datasetsContract';
import { plural } from '../../lib/format';
import { useDatasetsStore, type BuilderOptions } from './datasetsStore';
import './datasets.css';

const FORMAT_LABEL: Record<ExportFormat, string> = { openai: 'OpenAI JSONL', sharegpt: 'ShareGPT', alpaca: 'Alpaca' };

function toggle<T>(list: readonly T[] | undefined, value: T): T[] | undefined {
  const next = list?.includes(value) ? list.filter((v) => v !== value) : [...(list ?? []), value];
  return next.length ? next : undefined;
}

function dateValue(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().slice(0, 10);
}

/**
 * The dataset builder: a filter over approved examples → a preview of every build step with its
 * counts → an immutable version → exports (with the egress confirmation).
 */
export function DatasetBuilder() {
  const loadVersions = useDatasetsStore((s) => s.loadVersions);
  const setStage = useDatasetsStore((s) => s.setStage);
  useEffect(() => {
    void loadVersions();
  }, [loadVersions]);
  useApiEvent('dataset.progress', (p) => setStage(`${p.stage} (${p.done + 1}/${p.total})`));
  return (
    <div className="datasets" data-testid="dataset-builder">
      <FilterForm />
      <Preview />
      <CreateVersion />
      <Versions />
    </div>
  );
}

function Checks<T extends string>({
  legend,
  values,
  selected,
  onToggle,
}: {
  legend: string;
  values: readonly T[];
  selected: readonly T[] | undefined;
  onToggle(v: T): void;
}) {
  return (
    <fieldset className="ds-checks">
      <legend>{legend}</legend>
      {values.map((v) => (
        <label key={v}>
          <input type="checkbox" checked={selected?.includes(v) ?? false} onChange={() => onToggle(v)} />{' '}
          {v.replace(/_/g, ' ')}
        </label>
      ))}
    </fieldset>
  );
}

function NumberField({
  label,
  value,
  onChange,
  step,
  min,
  max,
}: {
  label: string;
  value: number;
  onChange(n: number): void;
  step?: number;
  min?: number;
  max?: number;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        className="input"
        type="number"
        value={value}
        step={step}
        min={min}
        max={max}
        onChange={(e) => onChange(Number(e.target.value))}
      />
    </label>
  );
}

function FilterForm() {
  const filter = useDatasetsStore((s) => s.filter);
  const options = useDatasetsStore((s) => s.options);
  const status = useDatasetsStore((s) => s.previewStatus);
  const stage = useDatasetsStore((s) => s.stage);
  const { setFilter, setOptions, runPreview } = useDatasetsStore.getState();
  const opt = (patch: Partial<BuilderOptions>) => setOptions(patch);
  return (
    <section className="card" aria-labelledby="ds-filter-title">
      <h2 id="ds-filter-title" className="card-title">
        1. Which approved examples
      </h2>
      <form
        className="ds-form"
        onSubmit={(e) => {
          e.preventDefault();
          void runPreview();
        }}
      >
        <div className="ds-grid">
          <label className="field">
            <span>Task</span>
            <select
              className="input select"
              value={filter.task}
              onChange={(e) => setFilter({ task: e.target.value as (typeof TASKS)[number] })}
            >
              {TASKS.map((t) => (
                <option key={t} value={t}>
                  {t.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Threat types (comma-separated)</span>
            <input
              className="input"
              value={filter.threatTypes?.join(', ') ?? ''}
              onChange={(e) => {
                const list = e.target.value
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
                setFilter({ threatTypes: list.length ? list : undefined });
              }}
            />
          </label>
          <label className="field">
            <span>ATT&amp;CK technique</span>
            <input
              className="input"
              placeholder="T1078"
              value={filter.technique ?? ''}
              onChange={(e) => setFilter({ technique: e.target.value.trim() || undefined })}
            />
          </label>
          <label className="field">
            <span>Minimum quality</span>
            <select
              className="input select"
              value={filter.qualityMin ?? ''}
              onChange={(e) => setFilter({ qualityMin: e.target.value ? Number(e.target.value) : undefined })}
            >
              <option value="">any</option>
              {[1, 2, 3, 4, 5].map((q) => (
                <option key={q} value={q}>
                  ≥ {q}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Labellers (comma-separated)</span>
            <input
              className="input"
              value={filter.labellers?.join(', ') ?? ''}
              onChange={(e) => {
                const list = e.target.value
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
                setFilter({ labellers: list.length ? list : undefined });
              }}
            />
          </label>
          <label className="field">
            <span>Labelled from</span>
            <input
              className="input"
              type="date"
              value={dateValue(filter.from)}
              onChange={(e) => setFilter({ from: e.target.value ? Date.parse(e.target.value) : undefined })}
            />
          </label>
          <label className="field">
            <span>Labelled to</span>
            <input
              className="input"
              type="date"
              value={dateValue(filter.to)}
              onChange={(e) => setFilter({ to: e.target.value ? Date.parse(e.target.value) + 86_399_999 : undefined })}
            />
          </label>
        </div>
        <div className="ds-grid">
          <Checks
            legend="Verdict"
            values={VERDICTS}
            selected={filter.verdicts}
            onToggle={(v) => setFilter({ verdicts: toggle(filter.verdicts, v) })}
          />
          <Checks
            legend="Severity"
            values={SEVERITIES}
            selected={filter.severities}
            onToggle={(v) => setFilter({ severities: toggle(filter.severities, v) })}
          />
          <Checks
            legend="Source"
            values={SOURCE_KINDS}
            selected={filter.sourceKinds}
            onToggle={(v) => setFilter({ sourceKinds: toggle(filter.sourceKinds, v) })}
          />
        </div>
        <details className="ds-options">
          <summary>Build options</summary>
          <div className="ds-grid">
            <label className="field">
              <span>Target</span>
              <select
                className="input select"
                value={options.targetKind}
                onChange={(e) => opt({ targetKind: e.target.value as BuilderOptions['targetKind'] })}
              >
                <option value="openai">OpenAI model</option>
                <option value="local_gguf">Local GGUF model</option>
              </select>
            </label>
            <label className="field">
              <span>Target model</span>
              <input
                className="input"
                value={options.targetModel}
                onChange={(e) => opt({ targetModel: e.target.value })}
              />
            </label>
            <NumberField label="Seed" value={options.seed} min={0} onChange={(n) => opt({ seed: n })} />
            <NumberField
              label="Validation fraction"
              value={options.validation}
              step={0.05}
              min={0}
              max={0.5}
              onChange={(n) => opt({ validation: n })}
            />
            <NumberField
              label="Test fraction"
              value={options.test}
              step={0.05}
              min={0}
              max={0.5}
              onChange={(n) => opt({ test: n })}
            />
            <label className="field">
              <span>Stratify by</span>
              <select
                className="input select"
                value={options.stratifyBy}
                onChange={(e) => opt({ stratifyBy: e.target.value as BuilderOptions['stratifyBy'] })}
              >
                {STRATIFY_BY.map((s) => (
                  <option key={s} value={s}>
                    {s.replace('_', ' + ')}
                  </option>
                ))}
              </select>
            </label>
            <NumberField label="Minimum examples" value={options.min} min={1} onChange={(n) => opt({ min: n })} />
            <NumberField label="Maximum examples" value={options.max} min={1} onChange={(n) => opt({ max: n })} />
            <NumberField
              label="Near-duplicate similarity"
              value={options.threshold}
              step={0.01}
              min={0.5}
              max={1}
              onChange={(n) => opt({ threshold: n })}
            />
            <NumberField
              label="Kept per duplicate cluster"
              value={options.keepPerCluster}
              min={1}
              max={100}
              onChange={(n) => opt({ keepPerCluster: n })}
            />
            <label className="field">
              <span>Examples with secrets</span>
              <select
                className="input select"
                value={options.secretFix}
                onChange={(e) => opt({ secretFix: e.target.value as SecretFix })}
              >
                <option value="block">block the export</option>
                <option value="redact">redact to &lt;SECRET_n&gt;</option>
                <option value="exclude">leave the example out</option>
              </select>
            </label>
            <label className="field">
              <span>Keep these indicators (IPs, hosts…)</span>
              <input className="input" value={options.allowlist} onChange={(e) => opt({ allowlist: e.target.value })} />
            </label>
            <label className="ds-inline">
              <input
                type="checkbox"
                checked={options.pseudonymise}
                onChange={(e) => opt({ pseudonymise: e.target.checked })}
              />{' '}
              Pseudonymise personal data
            </label>
            <label className="ds-inline">
              <input
                type="checkbox"
                checked={options.labelHints}
                onChange={(e) => opt({ labelHints: e.target.checked })}
              />{' '}
              Add label hints to the system prompt
            </label>
          </div>
        </details>
        <div className="section-actions">
          <button className="btn btn-primary" type="submit" disabled={status === 'loading'} data-testid="ds-preview">
            {status === 'loading' ? `Building preview… ${stage ?? ''}` : 'Preview'}
          </button>
        </div>
      </form>
    </section>
  );
}

function Step({
  n,
  title,
  summary,
  children,
  tone,
}: {
  n: number;
  title: string;
  summary: ReactNode;
  children?: ReactNode;
  tone?: 'warn' | 'block';
}) {
  return (
    <div className={`ds-step${tone ? ` ds-step-${tone}` : ''}`} data-testid={`ds-step-${n}`}>
      <div className="ds-step-head">
        <span className="ds-step-n">{n}</span>
        <strong>{title}</strong>
        <span className="ds-step-summary">{summary}</span>
      </div>
      {children}
    </div>
  );
}

function Preview() {
  const preview = useDatasetsStore((s) => s.preview);
  const status = useDatasetsStore((s) => s.previewStatus);
  const error = useDatasetsStore((s) => s.previewError);
  if (status === 'error') {
    return (
      <p className="error-text" role="alert">
        {error}
      </p>
    );
  }
  if (!preview) return null;
  return <Report report={preview} editable />;
}

export function Report({ report, editable }: { report: BuildReport; editable?: boolean }) {
  const s = report.steps;
  const perConversation = useDatasetsStore((st) => st.options.perConversation);
  const { setSecretFix, runPreview } = useDatasetsStore.getState();
  const secretConversations = [...new Map(s.redaction.findings.map((f) => [f.conversationId, f])).values()];
  return (
    <section className="card" aria-labelledby="ds-preview-title">
      <h2 id="ds-preview-title" className="card-title">
        2. What the build does
      </h2>
      {s.selected === 0 ? (
        <p className="ds-empty" role="status" data-testid="ds-none-selected">
          No approved examples match this filter. Approve examples in the <Link to="/review">Review queue</Link>, or
          widen the filter (task, dates, labellers).
        </p>
      ) : null}
      <div className="ds-steps">
        <Step n={1} title="Selected" summary={`${plural(s.selected, 'approved example')}`} />
        <Step
          n={2}
          title="Validation"
          summary={`${s.validation.valid} valid · ${s.validation.invalid} invalid`}
          tone={s.validation.invalid ? 'warn' : undefined}
        >
          {s.validation.failures.length ? (
            <details>
              <summary>
                Failures by rule:{' '}
                {Object.entries(s.validation.byRule)
                  .map(([r, n]) => `${r} ×${n}`)
                  .join(', ')}
              </summary>
              <ul className="ds-list">
                {s.validation.failures.map((f, i) => (
                  <li key={i}>
                    <span className="chip chip-mono chip-xs">{f.ruleId}</span> {f.title} (#{f.conversationId}
                    {f.messageIndex !== null ? `, message ${f.messageIndex}` : ''}): {f.detail}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </Step>
        <Step
          n={3}
          title="Duplicates"
          summary={`${s.dedup.kept} kept · ${s.dedup.droppedExact} exact and ${s.dedup.droppedNear} near duplicates dropped`}
        />
        <Step
          n={4}
          title="Limits"
          summary={`${s.limits.out} of ${s.limits.in}${s.limits.sampled ? ' (sampled, stratified)' : ''} · allowed ${s.limits.min}–${s.limits.max}`}
          tone={s.limits.belowMin ? 'block' : undefined}
        />
        <Step
          n={5}
          title="Secrets and personal data"
          summary={`${plural(s.redaction.secretsFound, 'secret')} in ${plural(s.redaction.secretExamples, 'example')} · ${Object.entries(
            s.redaction.entities,
          )
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')} pseudonymised`}
          tone={s.redaction.blocking ? 'block' : undefined}
        >
          {secretConversations.length ? (
            <div className="ds-secrets" role="group" aria-label="Examples holding secrets">
              <p className="small">Secrets block the export until each example is redacted or left out:</p>
              <ul className="ds-list">
                {secretConversations.map((f) => (
                  <li key={f.conversationId}>
                    <span className="chip chip-warn chip-xs">{f.ruleId}</span> {f.title} —{' '}
                    <span className="mono small">{f.masked}</span>
                    {editable ? (
                      <select
                        className="input select ds-fix"
                        aria-label={`Fix for ${f.title}`}
                        value={perConversation[String(f.conversationId)] ?? 'block'}
                        onChange={(e) => setSecretFix(f.conversationId, e.target.value as SecretFix)}
                      >
                        <option value="block">blocks export</option>
                        <option value="redact">redact</option>
                        <option value="exclude">leave out</option>
                      </select>
                    ) : (
                      <span className="small"> ({f.fix})</span>
                    )}
                  </li>
                ))}
              </ul>
              {editable ? (
                <button className="btn btn-sm" type="button" onClick={() => void runPreview()}>
                  Apply and preview again
                </button>
              ) : null}
            </div>
          ) : null}
          {s.redaction.samples.length ? (
            <details>
              <summary>Before / after ({s.redaction.samples.length} samples)</summary>
              {s.redaction.samples.map((x, i) => (
                <div className="ds-beforeafter" key={i}>
                  <pre className="raw">{x.before}</pre>
                  <pre className="raw">{x.after}</pre>
                </div>
              ))}
            </details>
          ) : null}
        </Step>
        <Step
          n={6}
          title="Tokens"
          summary={`${s.tokens.out} within ${s.tokens.limit} tokens · ${s.tokens.in - s.tokens.out} refused · ${s.tokens.tokenizer === 'exact' ? s.tokens.encoding : `approximate (${s.tokens.encoding})`}`}
          tone={s.tokens.in - s.tokens.out ? 'warn' : undefined}
        >
          {s.tokens.refused.length ? (
            <ul className="ds-list">
              {s.tokens.refused.map((r) => (
                <li key={r.conversationId}>
                  {r.title}: {r.tokens} tokens (limit {r.limit}) — refused, never truncated
                </li>
              ))}
            </ul>
          ) : null}
        </Step>
        <Step
          n={7}
          title="Split"
          summary={`train ${s.split.train} · validation ${s.split.validation} · test ${s.split.test} · ${s.split.groups} groups`}
        >
          {s.split.byLabel.length ? (
            <table className="ds-table">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Train</th>
                  <th scope="col">Validation</th>
                  <th scope="col">Test</th>
                </tr>
              </thead>
              <tbody>
                {s.split.byLabel.map((l) => (
                  <tr key={l.label}>
                    <td>{l.label.replace(/_/g, ' ')}</td>
                    <td>{l.train}</td>
                    <td>{l.validation}</td>
                    <td>{l.test}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Step>
        <Step
          n={8}
          title="Cost estimate"
          summary={
            report.cost.usd === null
              ? `no price known for ${report.cost.model}`
              : `≈ $${report.cost.usd.toFixed(2)} · ${report.cost.epochs} epochs × ${report.cost.billedTokensPerEpoch.toLocaleString()} training tokens`
          }
        />
      </div>
      {report.blockers.length ? (
        <ul className="ds-blockers" role="alert">
          {report.blockers.map((b) => (
            <li key={b}>{b}</li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function CreateVersion() {
  const preview = useDatasetsStore((s) => s.preview);
  const creating = useDatasetsStore((s) => s.creating);
  const error = useDatasetsStore((s) => s.createError);
  const stage = useDatasetsStore((s) => s.stage);
  const [name, setName] = useState('triage-training');
  const { createVersion } = useDatasetsStore.getState();
  if (!preview) return null;
  return (
    <section className="card" aria-labelledby="ds-create-title">
      <h2 id="ds-create-title" className="card-title">
        3. Freeze it as a version
      </h2>
      <form
        className="ds-create"
        onSubmit={(e) => {
          e.preventDefault();
          void createVersion(name, '');
        }}
      >
        <label className="field">
          <span>Dataset name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        </label>
        <button
          className="btn btn-primary"
          type="submit"
          disabled={creating || preview.steps.limits.belowMin || !name.trim()}
          data-testid="ds-create"
        >
          {creating ? `Creating… ${stage ?? ''}` : 'Create version'}
        </button>
      </form>
      {!preview.secretsClean ? (
        <p className="small">A version with unresolved secrets can be created, but not exported.</p>
      ) : null}
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

function Versions() {
  const datasets = useDatasetsStore((s) => s.datasets);
  const selected = useDatasetsStore((s) => s.selected);
  const { openVersion } = useDatasetsStore.getState();
  if (!datasets.length) return null;
  return (
    <section className="card" aria-labelledby="ds-versions-title">
      <h2 id="ds-versions-title" className="card-title">
        Versions
      </h2>
      <table className="ds-table" data-testid="ds-versions">
        <thead>
          <tr>
            <th scope="col">Dataset</th>
            <th scope="col">Version</th>
            <th scope="col">Content hash</th>
            <th scope="col">Train / validation / test</th>
            <th scope="col">Secrets</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {datasets.flatMap((d) =>
            d.versions.map((v) => (
              <tr key={v.id} className={selected?.id === v.id ? 'ds-selected' : undefined}>
                <td>{d.name}</td>
                <td>
                  <button className="link-button" type="button" onClick={() => void openVersion(v.id)}>
                    v{v.version}
                  </button>
                </td>
                <td className="mono" title={v.contentHash}>
                  {v.contentHash.slice(0, 12)}
                </td>
                <td>
                  {v.counts.train} / {v.counts.validation} / {v.counts.test}
                </td>
                <td>{v.secretsClean ? 'clean' : <span className="chip chip-warn chip-xs">blocked</span>}</td>
                <td>{new Date(v.createdAt).toLocaleString()}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      {selected ? <VersionCard version={selected} /> : null}
    </section>
  );
}

function VersionCard({ version }: { version: DatasetVersionDetail }) {
  const exporting = useDatasetsStore((s) => s.exporting);
  const result = useDatasetsStore((s) => s.exportResult);
  const error = useDatasetsStore((s) => s.exportError);
  const [confirm, setConfirm] = useState<ExportFormat | null>(null);
  const { exportVersion } = useDatasetsStore.getState();
  const r = version.report;
  return (
    <div className="ds-version" data-testid="ds-version-card">
      <h3>
        {version.datasetName} v{version.version}
      </h3>
      <dl className="kv kv-compact">
        <div className="kv-row">
          <dt>Content hash</dt>
          <dd className="mono">{version.contentHash}</dd>
        </div>
        <div className="kv-row">
          <dt>Examples</dt>
          <dd>
            {version.counts.total} (train {version.counts.train}, validation {version.counts.validation}, test{' '}
            {version.counts.test})
          </dd>
        </div>
        <div className="kv-row">
          <dt>Redaction</dt>
          <dd>
            {r.steps.redaction.secretsRedacted} secrets redacted, {r.steps.redaction.excluded} examples left out;{' '}
            {Object.entries(version.pseudonyms)
              .map(([k, n]) => `${n} ${k}`)
              .join(', ')}{' '}
            pseudonyms (mapping kept on this machine)
          </dd>
        </div>
        <div className="kv-row">
          <dt>Seed</dt>
          <dd>{version.seed}</dd>
        </div>
      </dl>
      <div className="section-actions">
        {EXPORT_FORMATS.map((f) => (
          <button
            key={f}
            className="btn"
            type="button"
            disabled={!version.secretsClean || exporting !== null}
            onClick={() => setConfirm(f)}
            data-testid={`ds-export-${f}`}
          >
            {exporting === f ? 'Exporting…' : `Export ${FORMAT_LABEL[f]}`}
          </button>
        ))}
      </div>
      {!version.secretsClean ? (
        <p className="small">
          This version holds secrets: build a new version that redacts or leaves them out to export.
        </p>
      ) : null}
      {confirm ? (
        <div className="ds-confirm" role="alertdialog" aria-labelledby="ds-confirm-title">
          <p id="ds-confirm-title">
            Write {version.counts.total} examples as {FORMAT_LABEL[confirm]} to a file meant for another system? The
            export is recorded in the egress log with its content hash.
          </p>
          <div className="section-actions">
            <button
              className="btn btn-primary"
              type="button"
              data-testid="ds-export-confirm"
              onClick={() => {
                void exportVersion(version.id, confirm);
                setConfirm(null);
              }}
            >
              Export
            </button>
            <button className="btn btn-ghost" type="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {result ? (
        <p className="small" data-testid="ds-export-result">
          Wrote {result.examples} examples ({result.bytes.toLocaleString()} bytes, sha256{' '}
          <span className="mono">{result.sha256.slice(0, 16)}…</span>) to <span className="mono">{result.path}</span>,
          with its dataset card beside it. Recorded in the egress log.
          {/* The headless host serves <dataDir>/exports; the desktop app shows the path instead. */}
          {api.transportKind === 'http' && result.downloadUrl ? (
            <>
              {' '}
              <a className="btn btn-sm" href={result.downloadUrl} download={result.fileName} data-testid="ds-download">
                Download {result.fileName}
              </a>
            </>
          ) : null}
        </p>
      ) : null}
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
