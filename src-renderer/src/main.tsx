import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { HashRouter } from 'react-router';
import { getApi } from './api/client';
import { useThemeStore } from './stores/themeStore';
import { applyTheme } from './shell/useApplyTheme';
import { Shell } from './shell/Shell';
import './styles/theme.css';
import './styles/app.css';

// Pick the transport (and take the token out of the address bar) before anything renders.
getApi();
// Apply the theme before the first paint so a dark-theme user never sees a white flash.
applyTheme(useThemeStore.getState().resolved);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// HashRouter: routes live after '#', so they work the same under app:// and http://.
createRoot(root).render(
  <StrictMode>
    <HashRouter>
      <Shell />
    </HashRouter>
  </StrictMode>,
);
