import { useEffect, useId, useState, type FormEvent } from 'react';
import { useEndpointsStore, type EndpointKind, type EndpointSummary } from './endpointsStore';
import './endpoints.css';

const KIND_LABEL: Record<EndpointKind, string> = {
  openai: 'OpenAI',
  openai_compatible: 'OpenAI-compatible server',
};

const KIND_HELP: Record<EndpointKind, string> = {
  openai: 'The public OpenAI API. Leave the base URL empty to use https://api.openai.com/v1.',
  openai_compatible: 'Any server that speaks the OpenAI chat API: vLLM, llama.cpp server, Ollama, LiteLLM…',
};

/**
 * Settings → Endpoints: the remote model endpoints and their keys. Keys are write-only here:
 * the core never sends one back, so the form can only say whether a key is set.
 */
export function EndpointsSettings() {
  const items = useEndpointsStore((s) => s.items);
  const status = useEndpointsStore((s) => s.status);
  const error = useEndpointsStore((s) => s.error);
  const keyStorage = useEndpointsStore((s) => s.keyStorage);
  const load = useEndpointsStore((s) => s.load);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="card endpoints" aria-labelledby="endpoints-title" data-testid="endpoints-settings">
      <h2 id="endpoints-title" className="card-title">
        Model endpoints
      </h2>
      <p className="field-help">
        OpenAI and OpenAI-compatible servers. Keys stay in the app&apos;s main process (the OS keychain on the desktop,
        the environment or a private file in headless mode); they are never shown again once saved.
      </p>
      {keyStorage && !keyStorage.ok ? (
        <p className="endpoints-warning" role="alert" data-testid="endpoints-keystore-warning">
          {keyStorage.reason ?? 'Keys cannot be stored safely on this machine.'}
        </p>
      ) : null}
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {status === 'loading' ? <p className="muted">Loading…</p> : null}
      {status !== 'loading' && items.length === 0 && !error ? (
        <p className="muted" data-testid="endpoints-empty">
          No endpoint yet. Add one below to chat with OpenAI or a compatible server.
        </p>
      ) : null}
      {items.length > 0 ? (
        <ul className="endpoint-list" aria-label="Endpoints">
          {items.map((ep) => (
            <EndpointRow key={ep.id} ep={ep} />
          ))}
        </ul>
      ) : null}
      <AddEndpointForm keysStorable={keyStorage?.ok ?? true} />
    </section>
  );
}

function KeyChips({ ep }: { ep: EndpointSummary }) {
  return (
    <span className="endpoint-chips">
      <span className={ep.hasKey ? 'chip chip-xs' : 'chip chip-xs chip-warn'} data-testid="endpoint-key">
        {ep.hasKey ? (ep.keySource === 'env' ? 'key set (environment)' : 'key set') : 'no key'}
      </span>
      {ep.hasKey && ep.keyStatus === 'ok' ? <span className="chip chip-xs endpoint-ok">key accepted</span> : null}
      {ep.hasKey && ep.keyStatus === 'invalid' ? (
        <span className="chip chip-xs chip-warn" data-testid="endpoint-key-invalid">
          key rejected
        </span>
      ) : null}
    </span>
  );
}

function EndpointRow({ ep }: { ep: EndpointSummary }) {
  const busy = useEndpointsStore((s) => s.busy[ep.id] ?? false);
  const test = useEndpointsStore((s) => s.tests[ep.id]);
  const rowError = useEndpointsStore((s) => s.rowErrors[ep.id]);
  const runTest = useEndpointsStore((s) => s.test);
  const setKey = useEndpointsStore((s) => s.setKey);
  const clearKey = useEndpointsStore((s) => s.clearKey);
  const remove = useEndpointsStore((s) => s.remove);
  const [editingKey, setEditingKey] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [newKey, setNewKey] = useState('');
  const keyInputId = useId();

  async function saveKey(e: FormEvent): Promise<void> {
    e.preventDefault();
    const k = newKey.trim();
    if (!k) return;
    const err = await setKey(ep.id, k);
    // The typed key is dropped either way; on error the user types it again.
    setNewKey('');
    if (!err) setEditingKey(false);
  }

  return (
    <li className="endpoint-row" data-testid="endpoint-row" aria-busy={busy || undefined}>
      <div className="endpoint-head">
        <span className="endpoint-name">{ep.name}</span>
        <span className="chip chip-xs">{KIND_LABEL[ep.kind]}</span>
        <KeyChips ep={ep} />
      </div>
      <div className="mono small selectable endpoint-url">{ep.baseUrl}</div>
      {ep.lastError ? <p className="small endpoint-last-error">{ep.lastError}</p> : null}
      {test ? (
        test.ok ? (
          <p className="small endpoint-test-ok" role="status" data-testid="endpoint-test-result">
            Connected: {test.models.length} model{test.models.length === 1 ? '' : 's'} listed in {test.latencyMs} ms
            {test.models.length ? ` (${test.models.slice(0, 5).join(', ')}${test.models.length > 5 ? ', …' : ''})` : ''}
            .
          </p>
        ) : (
          <p className="small error-text" role="alert" data-testid="endpoint-test-result">
            Test failed: {test.error?.message ?? 'unknown error'}
          </p>
        )
      ) : null}
      {rowError ? (
        <p className="small error-text" role="alert">
          {rowError}
        </p>
      ) : null}
      {editingKey ? (
        <form className="endpoint-key-form" onSubmit={(e) => void saveKey(e)}>
          <label htmlFor={keyInputId} className="visually-hidden">
            New key for {ep.name}
          </label>
          <input
            id={keyInputId}
            className="input"
            type="password"
            autoComplete="new-password"
            spellCheck={false}
            value={newKey}
            onChange={(e) => setNewKey(e.target.value)}
            placeholder={ep.hasKey ? 'Type a new key to replace the current one' : 'Paste the key'}
            autoFocus
          />
          <button type="submit" className="btn btn-primary btn-sm" disabled={busy || !newKey.trim()}>
            Save key
          </button>
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() => {
              setNewKey('');
              setEditingKey(false);
            }}
          >
            Cancel
          </button>
        </form>
      ) : null}
      <div className="endpoint-actions">
        <button type="button" className="btn btn-sm" disabled={busy} onClick={() => void runTest(ep.id)}>
          {busy ? 'Working…' : 'Test connection'}
        </button>
        {!editingKey ? (
          <button type="button" className="btn btn-sm" disabled={busy} onClick={() => setEditingKey(true)}>
            {ep.hasKey ? 'Replace key' : 'Set key'}
          </button>
        ) : null}
        {ep.hasKey && ep.keySource === 'store' ? (
          <button type="button" className="btn btn-ghost btn-sm" disabled={busy} onClick={() => void clearKey(ep.id)}>
            Forget key
          </button>
        ) : null}
        {confirmRemove ? (
          <>
            <button
              type="button"
              className="btn btn-sm endpoint-danger"
              disabled={busy}
              onClick={() => {
                setConfirmRemove(false);
                void remove(ep.id);
              }}
            >
              Remove {ep.name}
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setConfirmRemove(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-ghost btn-sm" disabled={busy} onClick={() => setConfirmRemove(true)}>
            Remove…
          </button>
        )}
      </div>
    </li>
  );
}

function AddEndpointForm({ keysStorable }: { keysStorable: boolean }) {
  const add = useEndpointsStore((s) => s.add);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<EndpointKind>('openai_compatible');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (!name.trim()) {
      setError('Give the endpoint a name, e.g. "OpenAI" or "Lab vLLM".');
      return;
    }
    if (kind === 'openai_compatible' && !baseUrl.trim()) {
      setError('An OpenAI-compatible server needs its base URL, e.g. http://127.0.0.1:8000/v1.');
      return;
    }
    setBusy(true);
    const err = await add({
      name: name.trim(),
      kind,
      ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}),
    });
    setBusy(false);
    // Never keep a typed key around longer than the request.
    setApiKey('');
    setError(err);
    if (!err) {
      setName('');
      setBaseUrl('');
    }
  }

  return (
    <form className="endpoint-add" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="endpoint-add-title">
        Add an endpoint
      </h3>
      <div className="endpoint-add-grid">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            className="input"
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. Lab vLLM"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select
            id={`${id}-kind`}
            className="input select"
            value={kind}
            onChange={(e) => setKind(e.target.value as EndpointKind)}
          >
            <option value="openai_compatible">{KIND_LABEL.openai_compatible}</option>
            <option value="openai">{KIND_LABEL.openai}</option>
          </select>
        </div>
        <div className="field endpoint-add-wide">
          <label htmlFor={`${id}-url`}>Base URL</label>
          <input
            id={`${id}-url`}
            className="input mono"
            type="url"
            inputMode="url"
            spellCheck={false}
            value={baseUrl}
            onChange={(e) => setBaseUrl(e.target.value)}
            placeholder={kind === 'openai' ? 'https://api.openai.com/v1' : 'http://127.0.0.1:8000/v1'}
          />
          <p className="field-help">{KIND_HELP[kind]}</p>
        </div>
        <div className="field endpoint-add-wide">
          <label htmlFor={`${id}-key`}>API key</label>
          <input
            id={`${id}-key`}
            className="input"
            type="password"
            autoComplete="new-password"
            spellCheck={false}
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            disabled={!keysStorable}
            placeholder={keysStorable ? 'Optional; can be set later' : 'Keys cannot be stored on this machine'}
          />
          <p className="field-help">Write-only: once saved, the key is never shown again, only whether one is set.</p>
        </div>
      </div>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <div className="endpoint-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add endpoint'}
        </button>
      </div>
    </form>
  );
}
