import { useEffect, useRef, useState } from 'react';
import { useApiEvent } from '../../api/useApiEvent';
import { EVAL_METRICS, TASKS, type EvalMetric, type Task, type TriggerRules } from '../../api/contract';
import { TASK_LABEL, formatDateTime, formatRelative } from '../../lib/format';
import { useRegistryStore } from './registryStore';
import { TriggerNotices } from './TriggerNotices';
import './registry.css';

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}

function ActiveTasks() {
  const active = useRegistryStore((s) => s.active);
  const busy = useRegistryStore((s) => s.busy);
  const rollback = useRegistryStore((s) => s.rollback);
  return (
    <section className="card" aria-labelledby="reg-active-title" data-testid="registry-active">
      <h2 id="reg-active-title" className="card-title">
        Active versions and roll-back
      </h2>
      <table className="reg-table">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Active</th>
            <th scope="col">Before it</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {active.map((a) => (
            <tr key={a.task} data-testid={`active-${a.task}`}>
              <th scope="row">{TASK_LABEL[a.task]}</th>
              <td className="reg-active-name">{a.modelName}</td>
              <td>{a.previousModelName ?? <span className="muted">—</span>}</td>
              <td className="reg-actions">
                <button
                  type="button"
                  className="btn btn-sm"
                  disabled={busy || a.previousModelId === null}
                  onClick={() => void rollback(a.task)}
                  aria-label={`Roll back ${TASK_LABEL[a.task]} to ${a.previousModelName ?? 'the previous model'}`}
                >
                  Roll back
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Versions() {
  const versions = useRegistryStore((s) => s.versions);
  const promoteTask = useRegistryStore((s) => s.promoteTask);
  const showArchived = useRegistryStore((s) => s.showArchived);
  const busy = useRegistryStore((s) => s.busy);
  const { setPromoteTask, promote, archive, openCard, setShowArchived } = useRegistryStore.getState();
  return (
    <section className="card" aria-labelledby="reg-versions-title" data-testid="registry-versions">
      <div className="reg-section-header">
        <h2 id="reg-versions-title" className="card-title">
          Versions and lineage
        </h2>
        <span className="reg-header-actions">
          <label className="small">
            Promote for{' '}
            <select
              className="input select"
              value={promoteTask}
              onChange={(e) => setPromoteTask(e.target.value as Task)}
              aria-label="Task to promote for"
            >
              {TASKS.map((t) => (
                <option key={t} value={t}>
                  {TASK_LABEL[t]}
                </option>
              ))}
            </select>
          </label>
          <label className="small">
            <input type="checkbox" checked={showArchived} onChange={(e) => void setShowArchived(e.target.checked)} />{' '}
            Archived
          </label>
        </span>
      </div>
      <table className="reg-table">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Trained on</th>
            <th scope="col" className="num">
              Accuracy
            </th>
            <th scope="col" className="num">
              Macro-F1
            </th>
            <th scope="col">Active for</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => {
            const isActive = v.activeFor.includes(promoteTask);
            return (
              <tr key={v.id} className={v.archived ? 'archived' : undefined} data-testid={`version-${v.id}`}>
                <th scope="row" className="reg-version" style={{ paddingLeft: `${10 + Math.min(v.depth, 6) * 18}px` }}>
                  {v.depth > 0 ? (
                    <span className="reg-branch" aria-hidden="true">
                      └{' '}
                    </span>
                  ) : null}
                  <span className="reg-version-name">{v.name}</span>
                  <span className="muted small">
                    {' '}
                    #{v.id} · {v.parentName ? `from ${v.parentName}` : 'base'} · {formatRelative(v.createdAt)}
                    {v.archived ? ' · archived' : ''}
                  </span>
                </th>
                <td>
                  {v.datasetLabel ? (
                    <>
                      {v.datasetLabel} <span className="mono muted small">{v.datasetHash?.slice(0, 10)}</span>
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="num">{pct(v.latestEvaluation?.accuracy)}</td>
                <td className="num">{pct(v.latestEvaluation?.verdictMacroF1)}</td>
                <td>
                  {v.activeFor.map((t) => (
                    <span key={t} className="chip chip-xs reg-active-chip">
                      {TASK_LABEL[t]}
                    </span>
                  ))}
                </td>
                <td className="reg-actions">
                  <button
                    type="button"
                    className="btn btn-sm btn-ghost"
                    onClick={() => void openCard(v.id)}
                    aria-label={`Model card of ${v.name}`}
                  >
                    Card
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm btn-primary"
                    disabled={busy || v.archived || isActive}
                    onClick={() => void promote(v.id)}
                    aria-label={`Promote ${v.name} for ${TASK_LABEL[promoteTask]}`}
                  >
                    Promote
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm btn-ghost"
                    disabled={busy || (!v.archived && v.activeFor.length > 0)}
                    title={!v.archived && v.activeFor.length ? 'Active models cannot be archived' : undefined}
                    onClick={() => void archive(v.id, !v.archived)}
                    aria-label={`${v.archived ? 'Restore' : 'Archive'} ${v.name}`}
                  >
                    {v.archived ? 'Restore' : 'Archive'}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function History() {
  const history = useRegistryStore((s) => s.history);
  if (!history.length) return null;
  return (
    <section className="card" aria-labelledby="reg-history-title">
      <h2 id="reg-history-title" className="card-title">
        Promotions and roll-backs
      </h2>
      <ol className="reg-history" data-testid="registry-history">
        {history.map((h) => (
          <li key={h.id}>
            <span className={h.action === 'rollback' ? 'chip chip-xs chip-warn' : 'chip chip-xs'}>{h.action}</span>{' '}
            {TASK_LABEL[h.task]}: {h.fromModelName ?? 'none'} → <strong>{h.modelName}</strong>{' '}
            <span className="muted small">
              by {h.actor}, {formatDateTime(h.at)}
              {h.reason ? ` — ${h.reason}` : ''}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function CardDialog() {
  const card = useRegistryStore((s) => s.card);
  const openCard = useRegistryStore((s) => s.openCard);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (card && !d.open) d.showModal();
    if (!card && d.open) d.close();
  }, [card]);
  return (
    <dialog ref={ref} className="dialog reg-card" aria-labelledby="reg-card-title" onClose={() => void openCard(null)}>
      {card ? (
        <>
          <header className="dialog-header">
            <h2 id="reg-card-title">Model card: {card.model.name}</h2>
          </header>
          <div className="dialog-body">
            <dl className="kv kv-compact">
              <div className="kv-row">
                <dt>Lineage</dt>
                <dd>{card.lineage.map((l) => l.name).join(' → ')}</dd>
              </div>
              <div className="kv-row">
                <dt>Dataset</dt>
                <dd>
                  {card.dataset ? (
                    <>
                      {card.dataset.label} · {card.dataset.examples} examples ·{' '}
                      <span className="mono">{card.dataset.contentHash}</span>
                    </>
                  ) : (
                    'none recorded'
                  )}
                </dd>
              </div>
              <div className="kv-row">
                <dt>Training job</dt>
                <dd>
                  {card.training
                    ? `#${card.training.jobId} (${card.training.kind}, ${card.training.status})`
                    : 'none recorded'}
                </dd>
              </div>
              <div className="kv-row">
                <dt>Hyperparameters</dt>
                <dd>
                  {card.hyperparameters
                    ? Object.entries(card.hyperparameters)
                        .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
                        .join(' · ')
                    : 'none recorded'}
                </dd>
              </div>
            </dl>
            <h3 className="reg-card-sub">Evaluations</h3>
            {card.evaluations.length ? (
              <table className="reg-table">
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col" className="num">
                      Accuracy
                    </th>
                    <th scope="col" className="num">
                      Verdict F1
                    </th>
                    <th scope="col" className="num">
                      Critical recall
                    </th>
                    <th scope="col" className="num">
                      Invalid
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {card.evaluations.map((e) => (
                    <tr key={e.evaluationId}>
                      <th scope="row">
                        #{e.evaluationId} <span className="muted small">{e.sourceLabel}</span>
                      </th>
                      <td className="num">{pct(e.metrics.accuracy)}</td>
                      <td className="num">{pct(e.metrics.verdictMacroF1)}</td>
                      <td className="num">{pct(e.metrics.criticalRecall)}</td>
                      <td className="num">{pct(e.metrics.invalidRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted small">Not evaluated yet.</p>
            )}
          </div>
          <footer className="dialog-footer">
            <button type="button" className="btn" onClick={() => void navigator.clipboard?.writeText(card.markdown)}>
              Copy as Markdown
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void openCard(null)}>
              Close
            </button>
          </footer>
        </>
      ) : null}
    </dialog>
  );
}

function RulesForm() {
  const rules = useRegistryStore((s) => s.rules);
  const saveRules = useRegistryStore((s) => s.saveRules);
  const [draft, setDraft] = useState<TriggerRules | null>(null);
  const r = draft ?? rules;
  if (!r) return null;
  const edit = (patch: (x: TriggerRules) => TriggerRules) => setDraft(patch(r));
  return (
    <details className="card reg-rules">
      <summary className="card-title">Retraining rules</summary>
      <form
        className="reg-rules-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveRules(r).then(() => setDraft(null));
        }}
      >
        <fieldset>
          <legend>
            <label>
              <input
                type="checkbox"
                checked={r.newApproved.enabled}
                onChange={(e) => edit((x) => ({ ...x, newApproved: { ...x.newApproved, enabled: e.target.checked } }))}
              />{' '}
              New approved examples
            </label>
          </legend>
          <label className="small">
            Suggest retraining after{' '}
            <input
              className="input reg-num"
              type="number"
              min={1}
              value={r.newApproved.minExamples}
              onChange={(e) =>
                edit((x) => ({
                  ...x,
                  newApproved: { ...x.newApproved, minExamples: Math.max(1, Number(e.target.value) || 1) },
                }))
              }
            />{' '}
            approved {TASK_LABEL[r.newApproved.task].toLowerCase()} examples the active model has not seen
          </label>
          <label className="small">
            <input
              type="checkbox"
              checked={r.newApproved.autoTrain}
              onChange={(e) => edit((x) => ({ ...x, newApproved: { ...x.newApproved, autoTrain: e.target.checked } }))}
            />{' '}
            start a local training job automatically
          </label>
        </fieldset>
        <fieldset>
          <legend>
            <label>
              <input
                type="checkbox"
                checked={r.metricBelow.enabled}
                onChange={(e) => edit((x) => ({ ...x, metricBelow: { ...x.metricBelow, enabled: e.target.checked } }))}
              />{' '}
              Latest evaluation below a threshold
            </label>
          </legend>
          <label className="small">
            <select
              className="input select"
              value={r.metricBelow.metric}
              onChange={(e) =>
                edit((x) => ({ ...x, metricBelow: { ...x.metricBelow, metric: e.target.value as EvalMetric } }))
              }
            >
              {EVAL_METRICS.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>{' '}
            threshold{' '}
            <input
              className="input reg-num"
              type="number"
              min={0}
              max={1}
              step={0.01}
              value={r.metricBelow.threshold}
              onChange={(e) =>
                edit((x) => ({
                  ...x,
                  metricBelow: { ...x.metricBelow, threshold: Math.min(1, Math.max(0, Number(e.target.value))) },
                }))
              }
            />
          </label>
          <label className="small">
            <input
              type="checkbox"
              checked={r.metricBelow.autoTrain}
              onChange={(e) => edit((x) => ({ ...x, metricBelow: { ...x.metricBelow, autoTrain: e.target.checked } }))}
            />{' '}
            start a local training job automatically
          </label>
        </fieldset>
        <fieldset>
          <legend>
            <label>
              <input
                type="checkbox"
                checked={r.regression.enabled}
                onChange={(e) => edit((x) => ({ ...x, regression: { ...x.regression, enabled: e.target.checked } }))}
              />{' '}
              Alert when a new version scores worse than the active one
            </label>
          </legend>
        </fieldset>
        <button type="submit" className="btn btn-sm btn-primary" disabled={!draft}>
          Save rules
        </button>
      </form>
    </details>
  );
}

/** The registry view on the Models page: lineage, cards, promote, roll back, archive, retraining notices. */
export function RegistryPanel() {
  const error = useRegistryStore((s) => s.error);
  const load = useRegistryStore((s) => s.load);
  useEffect(() => {
    void load();
  }, [load]);
  useApiEvent('models.changed', () => void load());
  useApiEvent('registry.changed', () => void load());
  useApiEvent('evaluation.progress', (e) => {
    if (e.status === 'succeeded') void load();
  });
  return (
    <div className="reg" data-testid="registry-panel">
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <TriggerNotices />
      <ActiveTasks />
      <Versions />
      <History />
      <RulesForm />
      <CardDialog />
    </div>
  );
}
