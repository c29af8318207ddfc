import { useId, useMemo, useState, type FormEvent } from 'react';
import type { Split } from '../../api/contract';
import { useEvaluationStore } from './evaluationStore';

/** Pick models and a dataset version's held-out split; the run is queued as a job. */
export function NewEvaluationForm() {
  const models = useEvaluationStore((s) => s.models);
  const datasets = useEvaluationStore((s) => s.datasets);
  const starting = useEvaluationStore((s) => s.starting);
  const start = useEvaluationStore((s) => s.start);
  const id = useId();
  const versions = useMemo(
    () => datasets.flatMap((d) => d.versions.map((v) => ({ ...v, label: `${d.name} v${v.version}` }))),
    [datasets],
  );
  const [picked, setPicked] = useState<number[]>([]);
  const [versionId, setVersionId] = useState<number | null>(null);
  const [split, setSplit] = useState<Split>('test');
  const [parallel, setParallel] = useState(1);
  const [limit, setLimit] = useState('');
  const [error, setError] = useState<string | null>(null);
  const chosenVersion = versionId ?? versions[0]?.id ?? null;
  const version = versions.find((v) => v.id === chosenVersion);

  const toggle = (mid: number) => setPicked((p) => (p.includes(mid) ? p.filter((x) => x !== mid) : [...p, mid]));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!picked.length || chosenVersion === null) return;
    const n = Number(limit);
    const err = await start({
      modelIds: picked,
      source: { kind: 'dataset', versionId: chosenVersion, split },
      options: { parallel, ...(limit && Number.isInteger(n) && n > 0 ? { limit: n } : {}) },
    });
    setError(err);
  };

  return (
    <form className="card eval-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h2 id={`${id}-title`} className="card-title">
        New evaluation
      </h2>
      <fieldset className="eval-models">
        <legend>Models</legend>
        {models.length === 0 ? <p className="muted small">No models registered.</p> : null}
        {models.map((m) => (
          <label key={m.id} className="eval-model-option">
            <input type="checkbox" checked={picked.includes(m.id)} onChange={() => toggle(m.id)} />
            <span>{m.name}</span>
            {m.activeFor.length ? <span className="chip chip-xs">active</span> : null}
          </label>
        ))}
      </fieldset>
      <div className="eval-form-row">
        <label className="field">
          <span>Dataset version</span>
          <select
            className="input select"
            value={chosenVersion ?? ''}
            onChange={(e) => setVersionId(Number(e.target.value) || null)}
            disabled={!versions.length}
          >
            {versions.length === 0 ? <option value="">No dataset versions yet</option> : null}
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.label} · {v.counts.test} test
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Split</span>
          <select className="input select" value={split} onChange={(e) => setSplit(e.target.value as Split)}>
            <option value="test">test (held out){version ? ` · ${version.counts.test}` : ''}</option>
            <option value="validation">validation{version ? ` · ${version.counts.validation}` : ''}</option>
            <option value="train">train{version ? ` · ${version.counts.train}` : ''}</option>
          </select>
        </label>
        <label
          className="field"
          title="Local models: prompts answered together on one context. Measure before raising it on a CPU."
        >
          <span>Parallel sequences</span>
          <input
            className="input"
            type="number"
            min={1}
            max={16}
            value={parallel}
            onChange={(e) => setParallel(Math.max(1, Math.min(16, Number(e.target.value) || 1)))}
          />
        </label>
        <label className="field">
          <span>At most</span>
          <input
            className="input"
            type="number"
            min={1}
            placeholder="all"
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
          />
        </label>
      </div>
      <div className="eval-form-actions">
        <button
          type="submit"
          className="btn btn-primary"
          disabled={starting || !picked.length || chosenVersion === null}
        >
          {starting
            ? 'Starting…'
            : `Run evaluation${picked.length ? ` (${picked.length} model${picked.length === 1 ? '' : 's'})` : ''}`}
        </button>
        <span className="muted small">Each model answers every example with the structured triage answer.</span>
      </div>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
