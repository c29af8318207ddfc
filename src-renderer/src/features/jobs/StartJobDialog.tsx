import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Icon } from '../../components/Icon';
import {
  LocalHyperparametersSchema,
  OpenAIHyperparametersSchema,
  LR_SCHEDULES,
  OPENAI_FINE_TUNING_END,
  OPTIMIZERS,
  TRAINING_TASKS,
  TRAINING_TASK_LABEL,
  type TrainingDatasetVersionOption,
  type TrainingOptions,
  type TrainingTask,
} from './jobsContract';
import { useJobsStore } from './jobsStore';

export type Backend = 'local' | 'openai';

interface LocalForm {
  baseModelId: string;
  epochs: string;
  learningRate: string;
  lrSchedule: (typeof LR_SCHEDULES)[number];
  minLearningRate: string;
  contextLength: string;
  batchSize: string;
  validationFraction: string;
  optimizer: (typeof OPTIMIZERS)[number];
}

interface OpenAIForm {
  endpointId: string;
  baseModel: string;
  suffix: string;
  nEpochs: string;
  batchSize: string;
  learningRateMultiplier: string;
  useValidation: boolean;
}

function localDefaults(o: TrainingOptions | null): LocalForm {
  const d = o?.localDefaults;
  const base = o?.localModels.find((m) => m.trainable);
  return {
    baseModelId: base ? String(base.id) : '',
    epochs: String(d?.epochs ?? 3),
    learningRate: String(d?.learningRate ?? 3e-4),
    lrSchedule: d?.lrSchedule ?? 'cosine',
    minLearningRate: '',
    contextLength: String(d?.contextLength ?? 512),
    batchSize: String(d?.batchSize ?? 8),
    validationFraction: String(d?.validationFraction ?? 0.1),
    optimizer: d?.optimizer ?? 'adamw',
  };
}

function openaiDefaults(o: TrainingOptions | null): OpenAIForm {
  const ep = o?.endpoints.find((e) => e.hasKey && e.keyStatus !== 'invalid') ?? o?.endpoints[0];
  return {
    endpointId: ep ? String(ep.id) : '',
    baseModel: o?.openaiBaseModels.find((m) => m.startsWith('gpt-4o-mini')) ?? o?.openaiBaseModels[0] ?? '',
    suffix: '',
    nEpochs: '',
    batchSize: '',
    learningRateMultiplier: '',
    useValidation: true,
  };
}

/** '' → undefined (OpenAI's "auto" / our default), anything else → a number (NaN when not one). */
function numOrUndefined(s: string): number | undefined {
  const t = s.trim();
  return t === '' ? undefined : Number(t);
}

function versionLabel(v: TrainingDatasetVersionOption): string {
  return `${v.datasetName} v${v.version} · ${v.counts.train} train / ${v.counts.validation} validation · ${v.contentHash.slice(0, 8)}${
    v.secretsClean ? '' : ' · holds secrets'
  }`;
}

type Errors = Record<string, string>;

function issuesToErrors(issues: readonly { path: PropertyKey[]; message: string }[]): Errors {
  const out: Errors = {};
  for (const i of issues) {
    const key = String(i.path[i.path.length - 1] ?? 'form');
    out[key] ??= i.message;
  }
  return out;
}

function Field({
  id,
  label,
  error,
  help,
  children,
}: {
  id: string;
  label: string;
  error?: string | undefined;
  help?: string;
  children: React.ReactNode;
}) {
  return (
    <div className="field jobs-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <span id={`${id}-error`} className="error-text small">
          {error}
        </span>
      ) : help ? (
        <span className="faint small">{help}</span>
      ) : null}
    </div>
  );
}

/**
 * "Start job": task, backend (local llama.cpp or OpenAI), base model, dataset version and hyperparameters
 * with defaults, checked with the same schemas the core uses before anything is sent.
 */
export function StartJobDialog({ initialBackend }: { initialBackend: Backend | null }) {
  const open = useJobsStore((s) => s.formOpen);
  const options = useJobsStore((s) => s.options);
  const setFormOpen = useJobsStore((s) => s.setFormOpen);
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog jobs-dialog"
      aria-labelledby="start-job-title"
      onClose={() => setFormOpen(false)}
    >
      {open && options ? (
        // Mounted afresh on every opening, so the defaults come from the latest options.
        <StartJobForm options={options} initialBackend={initialBackend} />
      ) : (
        <div className="dialog-body">
          <h2 id="start-job-title" className="visually-hidden">
            Start job
          </h2>
          <p className="muted">Loading…</p>
        </div>
      )}
    </dialog>
  );
}

function StartJobForm({ options, initialBackend }: { options: TrainingOptions; initialBackend: Backend | null }) {
  const { setFormOpen, startLocal, startOpenAI } = useJobsStore.getState();
  const [task, setTask] = useState<TrainingTask>('threat_detection');
  const [backend, setBackend] = useState<Backend>(initialBackend ?? (options.runners.local ? 'local' : 'openai'));
  const [versionId, setVersionId] = useState(() => {
    const v = options.datasetVersions.find((x) => x.secretsClean) ?? options.datasetVersions[0];
    return v ? String(v.id) : '';
  });
  const [local, setLocal] = useState<LocalForm>(() => localDefaults(options));
  const [openai, setOpenai] = useState<OpenAIForm>(() => openaiDefaults(options));
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const remoteSuggestions = useMemo(() => {
    const names = new Set(options.openaiBaseModels);
    for (const m of options.remoteModels)
      if (m.remoteModel && !m.remoteModel.startsWith('ft:')) names.add(m.remoteModel);
    return [...names];
  }, [options]);

  const version = options.datasetVersions.find((v) => String(v.id) === versionId) ?? null;

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setFormError(null);
    const errs: Errors = {};
    if (!version) errs.datasetVersionId = 'Pick a dataset version (build one in Datasets).';
    if (backend === 'local') {
      const h = LocalHyperparametersSchema.safeParse({
        epochs: numOrUndefined(local.epochs),
        learningRate: numOrUndefined(local.learningRate),
        lrSchedule: local.lrSchedule,
        minLearningRate: numOrUndefined(local.minLearningRate),
        contextLength: numOrUndefined(local.contextLength),
        batchSize: numOrUndefined(local.batchSize),
        validationFraction: numOrUndefined(local.validationFraction),
        optimizer: local.optimizer,
      });
      if (!h.success) Object.assign(errs, issuesToErrors(h.error.issues));
      if (!local.baseModelId) errs.baseModelId = 'Pick a local F32 base model (add one in Models).';
      setErrors(errs);
      if (Object.keys(errs).length || !h.success || !version) return;
      setBusy(true);
      const msg = await startLocal({
        task,
        baseModelId: Number(local.baseModelId),
        datasetVersionId: version.id,
        hyperparameters: h.data,
      });
      setBusy(false);
      setFormError(msg);
      return;
    }
    const h = OpenAIHyperparametersSchema.safeParse({
      nEpochs: numOrUndefined(openai.nEpochs),
      batchSize: numOrUndefined(openai.batchSize),
      learningRateMultiplier: numOrUndefined(openai.learningRateMultiplier),
    });
    if (!h.success) Object.assign(errs, issuesToErrors(h.error.issues));
    if (!openai.endpointId) errs.endpointId = 'Add an OpenAI endpoint with a key in Settings → Endpoints.';
    if (!/^[A-Za-z0-9._:-]+$/.test(openai.baseModel.trim()))
      errs.baseModel = 'A model name such as gpt-4o-mini-2024-07-18.';
    const suffix = openai.suffix.trim();
    if (suffix && !/^[A-Za-z0-9_-]{1,64}$/.test(suffix)) errs.suffix = 'Up to 64 letters, digits, "-" and "_".';
    if (version && !version.secretsClean)
      errs.datasetVersionId = 'This version holds secrets; nothing is uploaded until a version redacts them.';
    if (version && version.counts.train < 10) errs.datasetVersionId = 'OpenAI needs at least 10 training examples.';
    setErrors(errs);
    if (Object.keys(errs).length || !h.success || !version) return;
    setBusy(true);
    const registered = options.remoteModels.find(
      (m) => m.remoteModel === openai.baseModel.trim() && String(m.endpointId) === openai.endpointId,
    );
    const msg = await startOpenAI({
      task,
      endpointId: Number(openai.endpointId),
      baseModel: openai.baseModel.trim(),
      ...(registered ? { baseModelId: registered.id } : {}),
      datasetVersionId: version.id,
      ...(suffix ? { suffix } : {}),
      useValidation: openai.useValidation,
      hyperparameters: h.data,
    });
    setBusy(false);
    setFormError(msg);
  }

  const err = (k: string) => errors[k];
  const localMissing = !options.runners.local;

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <div className="dialog-header">
        <h2 id="start-job-title">Start job</h2>
        <button type="button" className="btn btn-ghost btn-icon" onClick={() => setFormOpen(false)} aria-label="Close">
          <Icon name="close" />
        </button>
      </div>
      <div className="dialog-body jobs-form">
        <div className="jobs-form-grid">
          <Field id="job-task" label="Task / model type">
            <select
              id="job-task"
              className="input select"
              value={task}
              onChange={(e) => setTask(e.target.value as TrainingTask)}
            >
              {TRAINING_TASKS.map((t) => (
                <option key={t} value={t}>
                  {TRAINING_TASK_LABEL[t]}
                </option>
              ))}
            </select>
          </Field>
          <fieldset className="field jobs-field">
            <legend>Backend</legend>
            <div className="segmented" role="radiogroup" aria-label="Backend">
              {(['local', 'openai'] as const).map((b) => (
                <label key={b} className={`segment${backend === b ? ' checked' : ''}`}>
                  <input
                    type="radio"
                    name="job-backend"
                    value={b}
                    checked={backend === b}
                    onChange={() => setBackend(b)}
                  />
                  {b === 'local' ? 'Local (llama.cpp)' : 'OpenAI'}
                </label>
              ))}
            </div>
          </fieldset>
        </div>

        <Field
          id="job-version"
          label="Dataset version"
          error={err('datasetVersionId')}
          help={version ? `Content hash ${version.contentHash}` : undefined}
        >
          <select
            id="job-version"
            className="input select"
            value={versionId}
            onChange={(e) => setVersionId(e.target.value)}
            aria-invalid={err('datasetVersionId') ? true : undefined}
          >
            {!options.datasetVersions.length ? <option value="">No dataset versions yet</option> : null}
            {options.datasetVersions.map((v) => (
              <option key={v.id} value={v.id}>
                {versionLabel(v)}
              </option>
            ))}
          </select>
        </Field>

        {backend === 'openai' ? (
          <>
            <div className="jobs-notice jobs-notice-warn" data-testid="openai-notice">
              <strong>OpenAI stops accepting new fine-tuning jobs on {OPENAI_FINE_TUNING_END}.</strong> Organisations
              that never fine-tuned, or have been inactive, have already lost job creation. Local training is the
              primary path; models already fine-tuned on OpenAI keep working for chat and evaluation.
            </div>
            <div className="jobs-form-grid">
              <Field id="job-endpoint" label="Endpoint" error={err('endpointId')}>
                <select
                  id="job-endpoint"
                  className="input select"
                  value={openai.endpointId}
                  onChange={(e) => setOpenai({ ...openai, endpointId: e.target.value })}
                >
                  {!options.endpoints.length ? <option value="">No endpoints — add one in Settings</option> : null}
                  {options.endpoints.map((ep) => (
                    <option key={ep.id} value={ep.id}>
                      {ep.name}
                      {!ep.hasKey ? ' (no key)' : ep.keyStatus === 'invalid' ? ' (key rejected)' : ''}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="job-openai-base" label="Base model" error={err('baseModel')}>
                <input
                  id="job-openai-base"
                  className="input"
                  list="job-openai-models"
                  value={openai.baseModel}
                  onChange={(e) => setOpenai({ ...openai, baseModel: e.target.value })}
                />
                <datalist id="job-openai-models">
                  {remoteSuggestions.map((m) => (
                    <option key={m} value={m} />
                  ))}
                </datalist>
              </Field>
              <Field
                id="job-suffix"
                label="Suffix (optional)"
                error={err('suffix')}
                help="Part of the model name, ≤ 64 characters"
              >
                <input
                  id="job-suffix"
                  className="input"
                  value={openai.suffix}
                  maxLength={64}
                  onChange={(e) => setOpenai({ ...openai, suffix: e.target.value })}
                />
              </Field>
              <Field id="job-n-epochs" label="Epochs" error={err('nEpochs')} help="Blank: OpenAI picks (auto)">
                <input
                  id="job-n-epochs"
                  className="input"
                  inputMode="numeric"
                  placeholder="auto"
                  value={openai.nEpochs}
                  onChange={(e) => setOpenai({ ...openai, nEpochs: e.target.value })}
                />
              </Field>
              <Field id="job-openai-batch" label="Batch size" error={err('batchSize')} help="Blank: auto">
                <input
                  id="job-openai-batch"
                  className="input"
                  inputMode="numeric"
                  placeholder="auto"
                  value={openai.batchSize}
                  onChange={(e) => setOpenai({ ...openai, batchSize: e.target.value })}
                />
              </Field>
              <Field
                id="job-lrm"
                label="Learning-rate multiplier"
                error={err('learningRateMultiplier')}
                help="Blank: auto"
              >
                <input
                  id="job-lrm"
                  className="input"
                  inputMode="decimal"
                  placeholder="auto"
                  value={openai.learningRateMultiplier}
                  onChange={(e) => setOpenai({ ...openai, learningRateMultiplier: e.target.value })}
                />
              </Field>
            </div>
            <label className="jobs-check">
              <input
                type="checkbox"
                checked={openai.useValidation}
                onChange={(e) => setOpenai({ ...openai, useValidation: e.target.checked })}
              />
              Upload the validation split too (validation loss in the charts)
            </label>
          </>
        ) : (
          <>
            {localMissing ? (
              <div className="jobs-notice jobs-notice-info">
                Local training is not available in this build yet. The form checks the settings; starting needs the
                local trainer.
              </div>
            ) : null}
            <div className="jobs-form-grid">
              <Field id="job-local-base" label="Base model (F32 GGUF)" error={err('baseModelId')}>
                <select
                  id="job-local-base"
                  className="input select"
                  value={local.baseModelId}
                  onChange={(e) => setLocal({ ...local, baseModelId: e.target.value })}
                >
                  {!options.localModels.length ? <option value="">No local models — add one in Models</option> : null}
                  {options.localModels.map((m) => (
                    <option key={m.id} value={m.id} disabled={!m.trainable} title={m.note ?? undefined}>
                      {m.name}
                      {m.quantization ? ` · ${m.quantization}` : ''}
                      {!m.trainable ? ' (cannot be trained)' : ''}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="job-epochs" label="Epochs" error={err('epochs')}>
                <input
                  id="job-epochs"
                  className="input"
                  inputMode="numeric"
                  value={local.epochs}
                  onChange={(e) => setLocal({ ...local, epochs: e.target.value })}
                />
              </Field>
              <Field id="job-lr" label="Learning rate" error={err('learningRate')}>
                <input
                  id="job-lr"
                  className="input"
                  inputMode="decimal"
                  value={local.learningRate}
                  onChange={(e) => setLocal({ ...local, learningRate: e.target.value })}
                />
              </Field>
              <Field id="job-decay" label="Learning-rate decay">
                <select
                  id="job-decay"
                  className="input select"
                  value={local.lrSchedule}
                  onChange={(e) => setLocal({ ...local, lrSchedule: e.target.value as LocalForm['lrSchedule'] })}
                >
                  {LR_SCHEDULES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                id="job-min-lr"
                label="Final learning rate"
                error={err('minLearningRate')}
                help="Blank: a tenth of the peak"
              >
                <input
                  id="job-min-lr"
                  className="input"
                  inputMode="decimal"
                  value={local.minLearningRate}
                  onChange={(e) => setLocal({ ...local, minLearningRate: e.target.value })}
                />
              </Field>
              <Field id="job-context" label="Context (tokens)" error={err('contextLength')}>
                <input
                  id="job-context"
                  className="input"
                  inputMode="numeric"
                  value={local.contextLength}
                  onChange={(e) => setLocal({ ...local, contextLength: e.target.value })}
                />
              </Field>
              <Field id="job-batch" label="Batch size" error={err('batchSize')}>
                <input
                  id="job-batch"
                  className="input"
                  inputMode="numeric"
                  value={local.batchSize}
                  onChange={(e) => setLocal({ ...local, batchSize: e.target.value })}
                />
              </Field>
              <Field id="job-val" label="Validation fraction" error={err('validationFraction')} help="0–0.5">
                <input
                  id="job-val"
                  className="input"
                  inputMode="decimal"
                  value={local.validationFraction}
                  onChange={(e) => setLocal({ ...local, validationFraction: e.target.value })}
                />
              </Field>
              <Field id="job-optimizer" label="Optimizer">
                <select
                  id="job-optimizer"
                  className="input select"
                  value={local.optimizer}
                  onChange={(e) => setLocal({ ...local, optimizer: e.target.value as LocalForm['optimizer'] })}
                >
                  {OPTIMIZERS.map((o) => (
                    <option key={o} value={o}>
                      {o === 'adamw' ? 'AdamW' : 'SGD'}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
          </>
        )}
        {formError ? (
          <p className="error-text" role="alert">
            {formError}
          </p>
        ) : null}
      </div>
      <div className="dialog-footer">
        <button type="button" className="btn" onClick={() => setFormOpen(false)}>
          Close
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start job'}
        </button>
      </div>
    </form>
  );
}
