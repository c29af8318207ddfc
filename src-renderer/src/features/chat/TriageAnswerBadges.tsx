import { TriageAnswerSchema } from '../../api/contract';
import { severityClass } from '../../lib/format';

const VERDICT_LABEL = { true_positive: 'True positive', benign: 'Benign', false_positive: 'False positive' } as const;

/** The structured triage answer as badges; anything that does not parse is not shown. */
export function TriageAnswerBadges({ structured }: { structured: unknown }) {
  const parsed = TriageAnswerSchema.safeParse(structured);
  if (!parsed.success) return null;
  const a = parsed.data;
  return (
    <div className="triage-answer" data-testid="triage-answer" aria-label="Structured triage answer">
      <span className={`chip verdict verdict-${a.verdict}`}>{VERDICT_LABEL[a.verdict]}</span>
      <span className={`chip sev ${severityClass(a.severity)}`}>{a.severity}</span>
      <span className="chip" title="Threat type">
        {a.threat_type}
      </span>
      {a.techniques.map((t) => (
        <span key={t} className="chip chip-mono technique" title="MITRE ATT&CK technique">
          {t}
        </span>
      ))}
      {a.rationale ? <p className="triage-rationale">{a.rationale}</p> : null}
      <details className="triage-json">
        <summary className="muted small">JSON</summary>
        <pre>{JSON.stringify(a, null, 2)}</pre>
      </details>
    </div>
  );
}
