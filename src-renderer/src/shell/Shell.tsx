import { useCallback, useEffect, useState } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { TriagePage } from '../pages/TriagePage';
import { ReviewPage } from '../pages/ReviewPage';
import { DatasetsPage } from '../pages/DatasetsPage';
import { JobsPage } from '../pages/JobsPage';
import { ModelsPage } from '../pages/ModelsPage';
import { EvaluatePage } from '../pages/EvaluatePage';
import { SettingsPage } from '../pages/SettingsPage';
import { Nav } from './Nav';
import { StatusBar } from './StatusBar';
import { ShortcutsOverlay } from './ShortcutsOverlay';
import { useGlobalShortcuts } from './useGlobalShortcuts';
import { useApplyTheme } from './useApplyTheme';
import { PAGES } from './pages';

function useDocumentTitle(): void {
  const { pathname } = useLocation();
  useEffect(() => {
    const page = PAGES.find((p) => pathname.startsWith(p.path));
    document.title = page ? `${page.label} — Triage Workbench` : 'Triage Workbench';
  }, [pathname]);
}

export function Shell() {
  const [overlayOpen, setOverlayOpen] = useState(false);
  const toggleOverlay = useCallback(() => setOverlayOpen((o) => !o), []);
  const closeOverlay = useCallback(() => setOverlayOpen(false), []);
  const { pendingG } = useGlobalShortcuts({ toggleOverlay, overlayOpen });
  useApplyTheme();
  useDocumentTitle();

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          // Hash links would be taken as routes by the hash router.
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <Nav onShowShortcuts={() => setOverlayOpen(true)} />
      <main id="main" className="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/triage" replace />} />
          <Route path="/triage" element={<TriagePage />} />
          <Route path="/review" element={<ReviewPage />} />
          <Route path="/datasets" element={<DatasetsPage />} />
          <Route path="/jobs" element={<JobsPage />} />
          <Route path="/models" element={<ModelsPage />} />
          <Route path="/evaluate" element={<EvaluatePage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="*" element={<Navigate to="/triage" replace />} />
        </Routes>
      </main>
      <StatusBar pendingG={pendingG} />
      <ShortcutsOverlay open={overlayOpen} onClose={closeOverlay} />
    </div>
  );
}
