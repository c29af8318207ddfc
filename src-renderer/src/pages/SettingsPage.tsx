import { Link } from 'react-router';
import { PageHeader } from '../components/PageHeader';
import { useAppInfoStore } from '../stores/appInfoStore';
import { useThemeStore, type ThemePreference } from '../stores/themeStore';
import { MOD_LABEL } from '../shell/shortcuts';
import { TASK_LABEL } from '../lib/format';
import { EndpointsSettings } from '../features/endpoints/EndpointsSettings';

const THEME_OPTIONS: { value: ThemePreference; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage() {
  const preference = useThemeStore((s) => s.preference);
  const setPreference = useThemeStore((s) => s.setPreference);
  const info = useAppInfoStore((s) => s.info);
  const error = useAppInfoStore((s) => s.error);

  return (
    <div className="page">
      <PageHeader title="Settings" description="Appearance and the workspace this window is connected to." />
      <div className="settings">
        <section className="card" aria-labelledby="appearance-title">
          <h2 id="appearance-title" className="card-title">
            Appearance
          </h2>
          <fieldset className="field">
            <legend>Theme</legend>
            <div className="segmented" role="radiogroup" aria-label="Theme">
              {THEME_OPTIONS.map((o) => (
                <label key={o.value} className={preference === o.value ? 'segment checked' : 'segment'}>
                  <input
                    type="radio"
                    name="theme"
                    value={o.value}
                    checked={preference === o.value}
                    onChange={() => setPreference(o.value)}
                  />
                  {o.label}
                </label>
              ))}
            </div>
            <p className="field-help">
              System follows your operating system. Switch at any time with <kbd>{MOD_LABEL}</kbd>+<kbd>Shift</kbd>+
              <kbd>L</kbd>.
            </p>
          </fieldset>
        </section>

        <section className="card" aria-labelledby="workspace-title">
          <h2 id="workspace-title" className="card-title">
            Workspace
          </h2>
          {error ? (
            <p className="error-text" role="alert">
              {error}
            </p>
          ) : null}
          {info ? (
            <dl className="kv">
              <dt>Data folder</dt>
              <dd className="mono selectable" data-testid="settings-datadir">
                {info.dataDir}
              </dd>
              <dt>Schema version</dt>
              <dd className="mono">{info.schemaVersion}</dd>
              <dt>App version</dt>
              <dd className="mono">{info.version}</dd>
              <dt>Host</dt>
              <dd>{info.host === 'electron' ? 'Desktop app' : 'Headless (HTTP, this machine)'}</dd>
            </dl>
          ) : !error ? (
            <p className="muted">Loading…</p>
          ) : null}
          <p className="field-help">Read-only. Start the app with a different data folder to use another workspace.</p>
        </section>

        <section className="card" aria-labelledby="models-title">
          <h2 id="models-title" className="card-title">
            Active models
          </h2>
          {info && info.activeModels.length > 0 ? (
            <dl className="kv">
              {info.activeModels.map((m) => (
                <div key={m.task} className="kv-row">
                  <dt>{TASK_LABEL[m.task]}</dt>
                  <dd className="mono">{m.modelName}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">
              No model is active yet. Register one in <Link to="/models">Models</Link> and make it active for a task; it
              will be listed here.
            </p>
          )}
        </section>

        <EndpointsSettings />
      </div>
    </div>
  );
}
