import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, errorMessage } from '../../api/client';
import { useApiEvent } from '../../api/useApiEvent';
import {
  SEVERITIES,
  VERDICTS,
  type ConversationDetail,
  type ReviewState,
  type Severity,
  type TrainingLabel,
  type Verdict,
} from '../../api/contract';
import { Icon } from '../../components/Icon';
import { REVIEW_STATUS_LABEL, formatRelative } from '../../lib/format';
import { isPlainKey, isTypingTarget, MOD_LABEL } from '../../shell/shortcuts';
import { TechniquePicker } from './TechniquePicker';
import { Toasts } from './Toasts';
import { toast } from './toastStore';
import { useLabelPanelStore, type LabelTarget } from './labelPanelStore';
import './labels.css';

export const VERDICT_LABEL: Record<Verdict, string> = {
  true_positive: 'True positive',
  benign: 'Benign',
  false_positive: 'False positive',
};

const QUALITY_HINT: Record<number, string> = {
  1: 'Unusable',
  2: 'Weak',
  3: 'Acceptable',
  4: 'Good',
  5: 'Exemplary',
};

interface Form {
  verdict: Verdict | null;
  threatType: string;
  severity: Severity | null;
  techniques: string[];
  quality: number | null;
  notes: string;
  correctedAnswer: string;
}

const EMPTY_FORM: Form = {
  verdict: null,
  threatType: '',
  severity: null,
  techniques: [],
  quality: null,
  notes: '',
  correctedAnswer: '',
};

function isSeverity(s: string | undefined): s is Severity {
  return !!s && (SEVERITIES as readonly string[]).includes(s.toLowerCase());
}

function formFrom(label: TrainingLabel | null, suggestedAnswer: string, alertSeverity?: string): Form {
  if (!label) {
    const sev = alertSeverity?.toLowerCase();
    return { ...EMPTY_FORM, severity: isSeverity(sev) ? sev : null, correctedAnswer: suggestedAnswer };
  }
  return {
    verdict: label.verdict,
    threatType: label.threatType ?? '',
    severity: label.severity,
    techniques: label.techniques,
    quality: label.quality,
    notes: label.notes,
    correctedAnswer: label.correctedAnswer ?? suggestedAnswer,
  };
}

function missing(f: Form): string | null {
  const gaps = [
    !f.verdict && 'a verdict',
    !f.threatType.trim() && 'a threat type',
    !f.severity && 'a severity',
    !f.quality && 'a quality score',
  ].filter(Boolean);
  return gaps.length ? `Choose ${gaps.join(', ').replace(/, ([^,]*)$/, ' and $1')} before saving.` : null;
}

function Segmented<T extends string | number>({
  name,
  legend,
  options,
  value,
  onChange,
  label,
  hint,
  note,
  className,
}: {
  name: string;
  legend: string;
  options: readonly T[];
  value: T | null;
  onChange(v: T): void;
  label(v: T): string;
  hint?: string;
  /** A line under the options (e.g. what the chosen quality means). */
  note?: string | undefined;
  className?: string;
}) {
  return (
    <fieldset className="field">
      <legend>
        {legend}
        {hint ? <span className="label-hint">{hint}</span> : null}
      </legend>
      <div className={`segmented label-segmented ${className ?? ''}`.trim()} role="radiogroup" aria-label={legend}>
        {options.map((o) => (
          <label key={String(o)} className={value === o ? 'segment checked' : 'segment'}>
            <input type="radio" name={name} checked={value === o} onChange={() => onChange(o)} />
            {label(o)}
          </label>
        ))}
      </div>
      {note ? <p className="muted small label-quality-hint">{note}</p> : null}
    </fieldset>
  );
}

/** The dialog itself: mounted once per page, opened through the label panel store. */
function LabelDialog({ alertSeverity }: { alertSeverity?: string }) {
  const target = useLabelPanelStore((s) => s.target);
  const close = useLabelPanelStore((s) => s.close);
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (target && !dialog.open) dialog.showModal();
    if (!target && dialog.open) dialog.close();
  }, [target]);

  return (
    <dialog
      ref={ref}
      className="dialog label-sheet"
      aria-labelledby={`${ids}-title`}
      onClose={close}
      data-testid="label-panel"
    >
      {target ? (
        // A fresh form per target: no state carries over from the last conversation.
        <LabelForm
          key={`${target.conversationId}:${target.messageId ?? ''}`}
          target={target}
          titleId={`${ids}-title`}
          {...(alertSeverity ? { alertSeverity } : {})}
        />
      ) : null}
    </dialog>
  );
}

function LabelForm({
  target,
  titleId,
  alertSeverity,
}: {
  target: LabelTarget;
  titleId: string;
  alertSeverity?: string;
}) {
  const { close, saved } = useLabelPanelStore.getState();
  const ids = useId();
  const [form, setForm] = useState<Form>(EMPTY_FORM);
  const [suggested, setSuggested] = useState('');
  const [existing, setExisting] = useState<{ label: TrainingLabel | null; review: ReviewState | null } | null>(null);
  const [threatTypes, setThreatTypes] = useState<string[]>([]);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .invoke('labels.get', { conversationId: target.conversationId, messageId: target.messageId ?? null })
      .then(
        (r) => {
          if (!live) return;
          setExisting({ label: r.label, review: r.review });
          setSuggested(r.suggestedAnswer);
          setForm(formFrom(r.label, r.suggestedAnswer, alertSeverity));
        },
        (err: unknown) => live && setError(errorMessage(err)),
      )
      .finally(() => live && setLoading(false));
    api.invoke('review.facets', {}).then(
      (f) => live && setThreatTypes(f.threatTypes.map((t) => t.name)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [target, alertSeverity]);

  const set = useCallback(<K extends keyof Form>(key: K, v: Form[K]) => setForm((f) => ({ ...f, [key]: v })), []);

  async function save(): Promise<void> {
    if (busy) return;
    const gap = missing(form);
    if (gap) {
      setError(gap);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.invoke('labels.save', {
        conversationId: target.conversationId,
        messageId: target.messageId ?? null,
        verdict: form.verdict!,
        threatType: form.threatType,
        severity: form.severity!,
        techniques: form.techniques,
        quality: form.quality!,
        notes: form.notes,
        // Unchanged from the model's answer: send empty so the core records the answer as it is.
        correctedAnswer: form.correctedAnswer === suggested ? '' : form.correctedAnswer,
      });
      saved(r);
      close();
      toast(r.message);
      for (const w of r.warnings) toast(w, { tone: 'info', ttlMs: 9000 });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLFormElement>): void {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void save();
      return;
    }
    // Number keys score quality while the panel has focus (not while typing in a text box).
    if (isPlainKey(e.nativeEvent) && !isTypingTarget(e.target) && /^[1-5]$/.test(e.key)) {
      e.preventDefault();
      set('quality', Number(e.key));
    }
  }

  const answerEdited = form.correctedAnswer !== suggested;
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={onKeyDown}
      noValidate
    >
      <div className="dialog-header">
        <div className="label-sheet-heading">
          <h2 id={titleId}>Mark for training</h2>
          {target.title ? <p className="muted small label-sheet-sub">{target.title}</p> : null}
        </div>
        <button type="button" className="btn btn-ghost btn-icon" onClick={close} aria-label="Close">
          <Icon name="close" />
        </button>
      </div>
      <div className="dialog-body label-sheet-body" aria-busy={loading}>
        {existing?.review ? (
          <p className={`label-state review-${existing.review.status}`}>
            {REVIEW_STATUS_LABEL[existing.review.status]}
            {existing.review.reviewer ? ` by ${existing.review.reviewer}` : ''}
            {existing.label
              ? ` · labelled by ${existing.label.labeller} ${formatRelative(existing.label.updatedAt)}`
              : ''}
            {existing.review.status !== 'pending' ? ' · saving sends it back to the pending queue' : ''}
          </p>
        ) : null}
        <Segmented
          name={`${ids}-verdict`}
          legend="Verdict"
          options={VERDICTS}
          value={form.verdict}
          onChange={(v) => set('verdict', v)}
          label={(v) => VERDICT_LABEL[v]}
        />
        <div className="field">
          <label htmlFor={`${ids}-threat`}>Threat type</label>
          <input
            id={`${ids}-threat`}
            className="input"
            list={`${ids}-threat-types`}
            value={form.threatType}
            maxLength={80}
            placeholder="e.g. credential access, data exfiltration, cloud misconfiguration"
            onChange={(e) => set('threatType', e.target.value)}
          />
          <datalist id={`${ids}-threat-types`}>
            {threatTypes.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <Segmented
          name={`${ids}-severity`}
          legend="Severity"
          options={SEVERITIES}
          value={form.severity}
          onChange={(v) => set('severity', v)}
          label={(v) => v}
          className="label-capitalize"
        />
        <div className="field">
          <label htmlFor={`${ids}-techniques`}>ATT&amp;CK techniques</label>
          <TechniquePicker
            inputId={`${ids}-techniques`}
            value={form.techniques}
            onChange={(v) => set('techniques', v)}
          />
        </div>
        <Segmented
          name={`${ids}-quality`}
          legend="Quality"
          hint="keys 1–5"
          options={[1, 2, 3, 4, 5] as const}
          value={form.quality}
          onChange={(v) => set('quality', v)}
          label={(v) => String(v)}
          note={form.quality ? QUALITY_HINT[form.quality] : undefined}
        />
        <div className="field">
          <label htmlFor={`${ids}-notes`}>Analyst notes</label>
          <textarea
            id={`${ids}-notes`}
            className="input"
            rows={2}
            value={form.notes}
            placeholder="Why this verdict; what a reviewer should check"
            onChange={(e) => set('notes', e.target.value)}
          />
        </div>
        <div className="field">
          <div className="label-answer-header">
            <label htmlFor={`${ids}-answer`}>Corrected answer</label>
            {answerEdited && suggested ? (
              <button type="button" className="link-button small" onClick={() => set('correctedAnswer', suggested)}>
                Reset to the model&apos;s answer
              </button>
            ) : null}
          </div>
          <textarea
            id={`${ids}-answer`}
            className="input mono label-answer"
            rows={9}
            value={form.correctedAnswer}
            placeholder="The answer the model should have given. It becomes the assistant turn of the training example."
            onChange={(e) => set('correctedAnswer', e.target.value)}
          />
          <p className="field-help label-help">
            {answerEdited
              ? 'Edited — this replaces the model’s answer in the training example.'
              : 'The model’s last answer, as it will be trained on. Edit it where it was wrong.'}
          </p>
        </div>
        {error ? (
          <p className="error-text" role="alert">
            {error}
          </p>
        ) : null}
      </div>
      <div className="dialog-footer">
        <span className="muted small label-footer-hint">
          <kbd>{MOD_LABEL}</kbd>
          <span className="kbd-sep">+</span>
          <kbd>Enter</kbd> to save · <kbd>Esc</kbd> to close
        </span>
        <button type="button" className="btn" onClick={close}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || loading}>
          {busy ? 'Saving…' : 'Save label'}
        </button>
      </div>
    </form>
  );
}

/** The label state of one conversation, with the button (and `l` shortcut) that opens the panel. */
function LabelLauncher({ conversation }: { conversation: ConversationDetail }) {
  const open = useLabelPanelStore((s) => s.open);
  const savedCount = useLabelPanelStore((s) => s.savedCount);
  const [state, setState] = useState<{ label: TrainingLabel | null; review: ReviewState | null } | null>(null);
  const [reloads, setReloads] = useState(0);
  const id = conversation.id;

  useEffect(() => {
    let live = true;
    api.invoke('labels.get', { conversationId: id }).then(
      (r) => live && setState({ label: r.label, review: r.review }),
      () => live && setState(null),
    );
    return () => {
      live = false;
    };
  }, [id, savedCount, reloads]);
  useApiEvent('review.changed', (p) => {
    if (p.conversationId === id || p.kind !== 'labelled') setReloads((n) => n + 1);
  });

  const target: LabelTarget = { conversationId: id, title: conversation.title };
  useEffect(() => {
    function onKeyDown(ev: globalThis.KeyboardEvent): void {
      if (ev.defaultPrevented || !isPlainKey(ev) || isTypingTarget(ev.target)) return;
      if (document.querySelector('dialog[open]')) return;
      if (ev.key === 'l') {
        ev.preventDefault();
        open({ conversationId: id, title: conversation.title });
      }
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [id, conversation.title, open]);

  const label = state?.label ?? null;
  return (
    <section className="context-section label-launcher" aria-labelledby="training-label-title">
      <div className="section-header">
        <h2 id="training-label-title" className="section-title">
          Training label
        </h2>
        <button
          type="button"
          className="btn btn-sm btn-primary"
          onClick={() => open(target)}
          aria-keyshortcuts="l"
          title="Mark for training (l)"
        >
          {label ? 'Edit label' : 'Mark for training'}
          <kbd>l</kbd>
        </button>
      </div>
      {label ? (
        <div className="label-summary">
          {state?.review ? (
            <span className={`chip chip-xs review-${state.review.status}`}>
              {REVIEW_STATUS_LABEL[state.review.status]}
            </span>
          ) : null}
          {label.verdict ? <span className="chip chip-xs">{VERDICT_LABEL[label.verdict]}</span> : null}
          {label.severity ? <span className={`chip chip-xs sev sev-${label.severity}`}>{label.severity}</span> : null}
          {label.threatType ? <span className="chip chip-xs">{label.threatType}</span> : null}
          {label.techniques.map((t) => (
            <span key={t} className="chip chip-xs chip-mono">
              {t}
            </span>
          ))}
          {label.quality ? <span className="chip chip-xs">Q{label.quality}</span> : null}
        </div>
      ) : (
        <p className="muted small">Not marked for training yet. Label it when the answer is right (or correct it).</p>
      )}
    </section>
  );
}

/**
 * Mark for training. With a conversation: its label state and the `l` shortcut (for the Triage
 * context panel). Always: the label dialog (opened through useLabelPanelStore) and, unless the host
 * page shows its own, the toast region.
 */
export function LabelPanel({
  conversation,
  toasts = true,
}: {
  conversation: ConversationDetail | null;
  toasts?: boolean;
}) {
  return (
    <>
      {conversation ? <LabelLauncher conversation={conversation} /> : null}
      <LabelDialog {...(conversation?.keyFields.severity ? { alertSeverity: conversation.keyFields.severity } : {})} />
      {toasts ? <Toasts /> : null}
    </>
  );
}
