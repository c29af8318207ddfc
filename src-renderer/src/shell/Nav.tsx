import { NavLink } from 'react-router';
import { Icon } from '../components/Icon';
import { useAppInfoStore } from '../stores/appInfoStore';
import { useThemeStore } from '../stores/themeStore';
import { PAGES } from './pages';
import { MOD_LABEL } from './shortcuts';

export function Nav({ onShowShortcuts }: { onShowShortcuts(): void }) {
  const pending = useAppInfoStore((s) => s.info?.counts.pendingReviews ?? 0);
  const resolved = useThemeStore((s) => s.resolved);
  const toggle = useThemeStore((s) => s.toggle);
  return (
    <nav className="nav" aria-label="Primary">
      <div className="nav-brand">
        <span className="nav-logo" aria-hidden="true">
          <Icon name="triage" size={18} />
        </span>
        <span className="nav-brand-text">Triage Workbench</span>
      </div>
      <ul className="nav-list">
        {PAGES.map((p) => (
          <li key={p.key}>
            <NavLink
              to={p.path}
              className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}
              aria-keyshortcuts={`g ${p.shortcut}`}
              data-page={p.key}
            >
              <Icon name={p.icon} />
              <span className="nav-label">{p.label}</span>
              {p.key === 'review' && pending > 0 ? (
                <span className="nav-badge" aria-label={`${pending} pending`}>
                  {pending}
                </span>
              ) : (
                <kbd className="nav-kbd" aria-hidden="true">
                  g {p.shortcut}
                </kbd>
              )}
            </NavLink>
          </li>
        ))}
      </ul>
      <div className="nav-footer">
        <button
          type="button"
          className="btn btn-ghost btn-icon"
          onClick={toggle}
          aria-label={resolved === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
          title={`Switch theme (${MOD_LABEL}+Shift+L)`}
        >
          <Icon name={resolved === 'dark' ? 'sun' : 'moon'} />
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-icon"
          onClick={onShowShortcuts}
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
        >
          <Icon name="keyboard" />
        </button>
      </div>
    </nav>
  );
}
