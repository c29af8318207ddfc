import { useState } from 'react';
import type { ReviewDetail } from '../../api/contract';
import { EmptyState } from '../../components/EmptyState';
import { REVIEW_STATUS_LABEL, SOURCE_KIND_LABEL, formatDateTime } from '../../lib/format';
import { VERDICT_LABEL } from '../labels/LabelPanel';

/** The example under the cursor: its labels, the prompt, and the answer it will train on. */
export function ReviewDetailPane({ detail, loading }: { detail: ReviewDetail | null; loading: boolean }) {
  const [showAlert, setShowAlert] = useState(false);
  if (!detail) {
    return loading ? (
      <p className="muted center rq-detail-empty">Loading…</p>
    ) : (
      <EmptyState icon="review" title="Nothing selected" compact>
        <p>
          Move with <kbd>j</kbd> / <kbd>k</kbd> or click an example.
        </p>
      </EmptyState>
    );
  }
  const d = detail;
  return (
    <article className="rq-detail" aria-labelledby="rq-detail-title" aria-busy={loading} data-testid="review-detail">
      <header className="rq-detail-header">
        <h2 id="rq-detail-title" title={d.title}>
          {d.title}
        </h2>
        <div className="rq-detail-meta">
          <span className={`chip review-${d.status}`}>{REVIEW_STATUS_LABEL[d.status]}</span>
          <span className="chip">{SOURCE_KIND_LABEL[d.sourceKind]}</span>
          {d.sourceFormat ? <span className="chip chip-mono">{d.sourceFormat}</span> : null}
          <span className="muted small">
            labelled by {d.labeller} · {formatDateTime(d.labelledAt)}
            {d.reviewer && d.decidedAt ? ` · ${d.status} by ${d.reviewer} · ${formatDateTime(d.decidedAt)}` : ''}
          </span>
        </div>
        {d.reason ? <p className="rq-reason small">Reason: {d.reason}</p> : null}
      </header>
      <dl className="kv kv-compact rq-labels" aria-label="Labels">
        <div className="kv-row">
          <dt>Verdict</dt>
          <dd>{d.verdict ? VERDICT_LABEL[d.verdict] : '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Threat type</dt>
          <dd>{d.threatType ?? '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Severity</dt>
          <dd>{d.severity ? <span className={`chip chip-xs sev sev-${d.severity}`}>{d.severity}</span> : '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Techniques</dt>
          <dd>
            {d.techniqueNames.length
              ? d.techniqueNames.map((t) => (
                  <span key={t.id} className="rq-technique-line">
                    <span className="mono">{t.id}</span> {t.name}
                    {t.tactics.length ? <span className="faint"> · {t.tactics.join(', ')}</span> : null}
                  </span>
                ))
              : '—'}
          </dd>
        </div>
        <div className="kv-row">
          <dt>Quality</dt>
          <dd>{d.quality ? `${d.quality} / 5` : '—'}</dd>
        </div>
        {d.notes ? (
          <div className="kv-row">
            <dt>Notes</dt>
            <dd className="selectable">{d.notes}</dd>
          </div>
        ) : null}
      </dl>
      <section className="rq-example" aria-label="Training example">
        <h3 className="section-title">Prompt</h3>
        {d.prompt.length ? (
          d.prompt.map((m, i) => (
            <div key={i} className={`rq-turn role-${m.role}`}>
              <span className="rq-turn-role">{m.role}</span>
              <div className="rq-turn-text selectable">{m.content}</div>
            </div>
          ))
        ) : (
          <p className="muted small">No messages before the answer; the alert below is the context.</p>
        )}
        <h3 className="section-title">
          Answer {d.answerIsCorrected ? <span className="chip chip-xs chip-warn">corrected by the analyst</span> : null}
        </h3>
        <div className="rq-turn role-assistant rq-answer">
          <div className="rq-turn-text selectable" data-testid="review-answer">
            {d.answer || <span className="faint">No answer yet — edit the label (e) to write one.</span>}
          </div>
        </div>
        {d.alertPayload !== null ? (
          <>
            <button
              type="button"
              className="link-button small"
              aria-expanded={showAlert}
              onClick={() => setShowAlert((v) => !v)}
            >
              {showAlert ? 'Hide the raw alert' : 'Show the raw alert'}
            </button>
            {showAlert ? <pre className="raw rq-raw">{JSON.stringify(d.alertPayload, null, 2)}</pre> : null}
          </>
        ) : null}
      </section>
    </article>
  );
}
