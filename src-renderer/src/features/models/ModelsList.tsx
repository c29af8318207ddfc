import { useEffect, useId, useState, type FormEvent } from 'react';
import { useApiEvent } from '../../api/useApiEvent';
import type { GgufSummary, ModelKind, ModelStorage, ModelSummary } from '../../api/contract';
import { TASK_LABEL, formatDateTime } from '../../lib/format';
import { useModelsStore } from './modelsStore';
import './models.css';

const KIND_LABEL: Record<ModelKind, string> = {
  local_gguf: 'Local GGUF',
  openai: 'OpenAI',
  openai_compatible: 'OpenAI-compatible',
};

const STORAGE_LABEL: Record<ModelStorage, string> = {
  reference: 'used in place',
  copy: 'copied into the workspace',
  generated: 'generated demo · random weights',
};

/** 203712 → "204K", 1_234_000_000 → "1.2B". */
export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

/**
 * The model registry: every registered model with what its GGUF header says, the active model per task,
 * adding a local file (checked before anything loads it), archiving.
 */
export function ModelsList() {
  const models = useModelsStore((s) => s.models);
  const status = useModelsStore((s) => s.status);
  const error = useModelsStore((s) => s.error);
  const showArchived = useModelsStore((s) => s.showArchived);
  const { load, setShowArchived } = useModelsStore.getState();

  useEffect(() => {
    void load();
  }, [load]);
  useApiEvent('models.changed', () => void load());

  return (
    <div className="models" data-testid="models-list">
      <ActiveModels />
      <section className="card" aria-labelledby="models-registry-title">
        <div className="models-card-header">
          <h2 id="models-registry-title" className="card-title">
            Registered models
          </h2>
          <label className="models-toggle">
            <input type="checkbox" checked={showArchived} onChange={(e) => void setShowArchived(e.target.checked)} />
            Show archived
          </label>
        </div>
        {error ? (
          <p className="error-text" role="alert">
            {error}
          </p>
        ) : null}
        {status === 'loading' && models.length === 0 ? <p className="muted">Loading…</p> : null}
        {status === 'ready' && models.length === 0 ? <NoModels /> : null}
        {models.length > 0 ? (
          <div className="models-table-wrap">
            <table className="models-table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Architecture</th>
                  <th scope="col" className="num">
                    Parameters
                  </th>
                  <th scope="col">Quantization</th>
                  <th scope="col" className="num">
                    Context
                  </th>
                  <th scope="col">Chat template</th>
                  <th scope="col">Active for</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {models.map((m) => (
                  <ModelRow key={m.id} model={m} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <AddLocalModel />
    </div>
  );
}

function NoModels() {
  const ensureDemo = useModelsStore((s) => s.ensureDemo);
  const [err, setErr] = useState<string | null>(null);
  return (
    <div className="muted">
      <p>
        No models yet. Add a GGUF file below, register a remote model from an endpoint, or start with the demo model.
      </p>
      <button type="button" className="btn btn-sm" onClick={() => void ensureDemo().then(setErr)}>
        Generate the demo model
      </button>
      {err ? <p className="error-text">{err}</p> : null}
    </div>
  );
}

function ModelRow({ model: m }: { model: ModelSummary }) {
  const busy = useModelsStore((s) => s.busy[m.id] ?? false);
  const rowError = useModelsStore((s) => s.rowErrors[m.id]);
  const setArchived = useModelsStore((s) => s.setArchived);
  const info = m.info;
  return (
    <>
      <tr className={m.archived ? 'archived' : undefined} data-testid={`model-row-${m.id}`}>
        <th scope="row" className="model-name">
          <span title={m.path ?? m.remoteModel ?? undefined}>{m.name}</span>
          <span className="model-sub">
            <span className="chip chip-xs">{KIND_LABEL[m.kind]}</span>
            {m.storage ? <span className="chip chip-xs">{STORAGE_LABEL[m.storage]}</span> : null}
            {m.remoteModel ? <span className="chip chip-xs chip-mono">{m.remoteModel}</span> : null}
            {m.archived ? <span className="chip chip-xs chip-warn">archived</span> : null}
            {info ? <span className="muted small">{formatBytes(info.sizeBytes)}</span> : null}
            <span className="muted small">added {formatDateTime(m.createdAt)}</span>
          </span>
        </th>
        <td>{info?.architecture ?? '—'}</td>
        <td className="num">{info ? formatParams(info.parameterCount) : '—'}</td>
        <td>{info ? <span className="chip chip-mono">{info.quantization}</span> : '—'}</td>
        <td className="num">{info?.contextLength?.toLocaleString() ?? '—'}</td>
        <td>{info ? info.hasChatTemplate ? 'yes' : <span className="chip chip-warn">none</span> : '—'}</td>
        <td>
          {m.activeFor.length ? (
            <span className="model-active">
              {m.activeFor.map((t) => (
                <span key={t} className="chip chip-xs model-active-chip">
                  {TASK_LABEL[t]}
                </span>
              ))}
            </span>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td className="model-actions">
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            disabled={busy || (!m.archived && m.activeFor.length > 0)}
            title={!m.archived && m.activeFor.length > 0 ? 'Make another model active for its tasks first' : undefined}
            onClick={() => void setArchived(m.id, !m.archived)}
          >
            {m.archived ? 'Restore' : 'Archive'}
          </button>
        </td>
      </tr>
      {rowError ? (
        <tr>
          <td colSpan={8} className="error-text" role="alert">
            {rowError}
          </td>
        </tr>
      ) : null}
    </>
  );
}

function ActiveModels() {
  const tasks = useModelsStore((s) => s.tasks);
  const models = useModelsStore((s) => s.models);
  const setActive = useModelsStore((s) => s.setActive);
  const usable = models.filter((m) => !m.archived);
  if (!tasks.length) return null;
  return (
    <section className="card" aria-labelledby="models-active-title">
      <h2 id="models-active-title" className="card-title">
        Active model per task
      </h2>
      <dl className="kv models-active-kv">
        {tasks.map((t) => (
          <div className="kv-row" key={t.id}>
            <dt>
              <label htmlFor={`active-${t.id}`}>{t.title}</label>
            </dt>
            <dd>
              <select
                id={`active-${t.id}`}
                className="input select models-active-select"
                value={t.preferredModelId ?? ''}
                onChange={(e) => {
                  const id = Number(e.target.value);
                  if (id) void setActive(t.id, id);
                }}
              >
                {t.preferredModelId === null ? <option value="">No active model</option> : null}
                {usable.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </select>
              <span className="muted small"> temperature {t.temperature}</span>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function InfoPreview({ info }: { info: GgufSummary }) {
  return (
    <dl className="kv kv-compact models-preview" data-testid="model-preview">
      <div className="kv-row">
        <dt>Architecture</dt>
        <dd>{info.architecture}</dd>
      </div>
      <div className="kv-row">
        <dt>Parameters</dt>
        <dd>{formatParams(info.parameterCount)}</dd>
      </div>
      <div className="kv-row">
        <dt>Quantization</dt>
        <dd>{info.quantization}</dd>
      </div>
      <div className="kv-row">
        <dt>Context</dt>
        <dd>{info.contextLength?.toLocaleString() ?? 'not stated'}</dd>
      </div>
      <div className="kv-row">
        <dt>Chat template</dt>
        <dd>{info.hasChatTemplate ? 'present' : 'none (a generic format will be used)'}</dd>
      </div>
      <div className="kv-row">
        <dt>Size</dt>
        <dd>{formatBytes(info.sizeBytes)}</dd>
      </div>
    </dl>
  );
}

function AddLocalModel() {
  const inspect = useModelsStore((s) => s.inspect);
  const addLocal = useModelsStore((s) => s.addLocal);
  const id = useId();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'reference' | 'copy'>('reference');
  const [preview, setPreview] = useState<GgufSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState<'checking' | 'adding' | null>(null);
  const [added, setAdded] = useState<string | null>(null);

  async function check(): Promise<void> {
    setWorking('checking');
    setError(null);
    setAdded(null);
    const r = await inspect(path.trim());
    setWorking(null);
    if ('info' in r) setPreview(r.info);
    else {
      setPreview(null);
      setError(r.error);
    }
  }

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setWorking('adding');
    setError(null);
    const err = await addLocal({ path: path.trim(), mode, ...(name.trim() ? { name: name.trim() } : {}) });
    setWorking(null);
    if (err) setError(err);
    else {
      setAdded(name.trim() || path.trim());
      setPath('');
      setName('');
      setPreview(null);
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card-title">
        Add a local GGUF model
      </h2>
      <form onSubmit={(e) => void submit(e)} data-testid="add-model-form">
        <div className="field">
          <label htmlFor={`${id}-path`}>File path</label>
          <input
            id={`${id}-path`}
            className="input chip-mono"
            value={path}
            onChange={(e) => {
              setPath(e.target.value);
              setPreview(null);
            }}
            placeholder="/home/analyst/models/qwen2.5-1.5b-instruct-q4_k_m.gguf"
            spellCheck={false}
            autoComplete="off"
            required
          />
        </div>
        <fieldset className="field">
          <legend>Storage</legend>
          <div className="segmented" role="radiogroup">
            {(['reference', 'copy'] as const).map((m) => (
              <label key={m} className={mode === m ? 'segment checked' : 'segment'}>
                <input type="radio" name={`${id}-mode`} checked={mode === m} onChange={() => setMode(m)} />
                {m === 'reference' ? 'Use it where it is' : 'Copy into the workspace'}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name (optional)</label>
          <input
            id={`${id}-name`}
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Defaults to the name in the file"
          />
        </div>
        <p className="field-help">
          The header is checked first (format, sizes, architecture) without loading the model. A checksum is computed
          while it is added; copying a large file takes a while.
        </p>
        {preview ? <InfoPreview info={preview} /> : null}
        {error ? (
          <p className="error-text" role="alert" data-testid="add-model-error">
            {error}
          </p>
        ) : null}
        {added ? <p className="models-added">Added {added}.</p> : null}
        <div className="models-form-actions">
          <button
            type="button"
            className="btn"
            disabled={!path.trim() || working !== null}
            onClick={() => void check()}
          >
            {working === 'checking' ? 'Checking…' : 'Check file'}
          </button>
          <button type="submit" className="btn btn-primary" disabled={!path.trim() || working !== null}>
            {working === 'adding' ? 'Adding…' : 'Add model'}
          </button>
        </div>
      </form>
    </section>
  );
}
