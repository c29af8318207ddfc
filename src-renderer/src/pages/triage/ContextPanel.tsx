import { useState } from 'react';
import type { ConversationDetail, KeyFields } from '../../api/contract';
import { Icon } from '../../components/Icon';
import { EmptyState } from '../../components/EmptyState';
import { formatDateTime, severityClass } from '../../lib/format';

const KEY_FIELDS: { key: keyof KeyFields & string; label: string; mono?: boolean }[] = [
  { key: 'time', label: 'Time' },
  { key: 'host', label: 'Host', mono: true },
  { key: 'user', label: 'User', mono: true },
  { key: 'sourceIp', label: 'Source IP', mono: true },
  { key: 'rule', label: 'Rule' },
  { key: 'severity', label: 'Severity' },
];
const KNOWN = new Set(KEY_FIELDS.map((f) => f.key));

function FieldValue({ field, value }: { field: string; value: string }) {
  if (field === 'severity') return <span className={`chip sev ${severityClass(value)}`}>{value}</span>;
  if (field === 'time') {
    return (
      <span title={value}>
        {formatDateTime(value)}
        <span className="mono muted small block">{value}</span>
      </span>
    );
  }
  return <>{value}</>;
}

export function ContextPanel({ conversation }: { conversation: ConversationDetail }) {
  const [copied, setCopied] = useState(false);
  const [wrap, setWrap] = useState(true);
  const kf = conversation.keyFields;
  const extras = Object.entries(kf).filter(
    (e): e is [string, string] => !KNOWN.has(e[0]) && typeof e[1] === 'string' && e[1] !== '',
  );
  const raw = conversation.alertPayload == null ? null : JSON.stringify(conversation.alertPayload, null, 2);

  async function copy(): Promise<void> {
    if (raw === null) return;
    try {
      await navigator.clipboard.writeText(raw);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  }

  return (
    <div className="context">
      <section className="context-section" aria-labelledby="key-fields-title">
        <h2 id="key-fields-title" className="section-title">
          Key fields
        </h2>
        <dl className="kv kv-compact" data-testid="key-fields">
          {KEY_FIELDS.map((f) => {
            const value = kf[f.key];
            return (
              <div key={f.key} className="kv-row">
                <dt>{f.label}</dt>
                <dd className={f.mono ? 'mono selectable' : 'selectable'}>
                  {value ? <FieldValue field={f.key} value={value} /> : <span className="faint">—</span>}
                </dd>
              </div>
            );
          })}
          {extras.map(([k, v]) => (
            <div key={k} className="kv-row">
              <dt>{k}</dt>
              <dd className="mono selectable">{v}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="context-section context-raw" aria-labelledby="raw-title">
        <div className="section-header">
          <h2 id="raw-title" className="section-title">
            Raw record
          </h2>
          {raw !== null ? (
            <div className="section-actions">
              <button
                type="button"
                className="btn btn-ghost btn-sm"
                aria-pressed={wrap}
                onClick={() => setWrap((w) => !w)}
                title="Wrap long lines"
              >
                Wrap
              </button>
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => void copy()}>
                <Icon name={copied ? 'check' : 'copy'} size={14} />
                {copied ? 'Copied' : 'Copy JSON'}
              </button>
            </div>
          ) : null}
        </div>
        {raw !== null ? (
          <pre
            className={wrap ? 'raw' : 'raw nowrap'}
            tabIndex={0}
            aria-label="Raw record (JSON)"
            data-testid="raw-record"
          >
            {raw}
          </pre>
        ) : (
          <EmptyState icon="info" title="No raw record" compact>
            <p>This conversation was started by hand, not imported from an alert or log.</p>
          </EmptyState>
        )}
      </section>
    </div>
  );
}
