import type { Session, WebContents } from 'electron';
import { isAllowedExternalUrl, isAllowedNavigation } from './navigation';

export interface HardeningOptions {
  /** The only origin pages may navigate within (app://workbench, or the dev server in development). */
  appOrigin: string;
  /** Opens a URL in the system browser (shell.openExternal); called only for allowlisted https: links. */
  openExternal: (url: string) => Promise<void>;
  /** Where refusals are reported; never silent. */
  onRefused?: (what: string, url: string) => void;
}

interface NavigationEvent {
  url: string;
  preventDefault(): void;
}

/** Listener for `will-navigate`: stays on our origin; allowlisted https links go to the browser instead. */
export function guardNavigation(opts: HardeningOptions, what: string, allowExternal: boolean) {
  return (event: NavigationEvent): void => {
    if (isAllowedNavigation(event.url, opts.appOrigin)) return;
    event.preventDefault();
    if (allowExternal && isAllowedExternalUrl(event.url)) {
      void opts.openExternal(event.url).catch(() => opts.onRefused?.('open-external-failed', event.url));
      return;
    }
    opts.onRefused?.(what, event.url);
  };
}

/** `setWindowOpenHandler`: never a new window; allowlisted https links open in the system browser. */
export function windowOpenHandler(opts: HardeningOptions) {
  return (details: { url: string }): { action: 'deny' } => {
    if (isAllowedExternalUrl(details.url)) {
      void opts.openExternal(details.url).catch(() => opts.onRefused?.('open-external-failed', details.url));
    } else {
      opts.onRefused?.('window-open', details.url);
    }
    return { action: 'deny' };
  };
}

/** Nothing in the workbench needs camera, notifications, geolocation, clipboard-read, HID… */
export function denyPermissionRequest(
  _contents: unknown,
  _permission: string,
  callback: (granted: boolean) => void,
): void {
  callback(false);
}

export function denyPermissionCheck(): boolean {
  return false;
}

/** Permission request and check handlers deny everything on this session. */
export function hardenSession(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
): void {
  session.setPermissionRequestHandler(denyPermissionRequest);
  session.setPermissionCheckHandler(denyPermissionCheck);
}

/** Applied to every web contents Electron creates (`app.on('web-contents-created')`). */
export function hardenWebContents(contents: WebContents, opts: HardeningOptions): void {
  contents.on('will-navigate', guardNavigation(opts, 'will-navigate', true));
  contents.on('will-redirect', guardNavigation(opts, 'will-redirect', false));
  contents.on('will-frame-navigate', guardNavigation(opts, 'will-frame-navigate', false));
  contents.setWindowOpenHandler(windowOpenHandler(opts));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    opts.onRefused?.('will-attach-webview', '');
  });
  hardenSession(contents.session);
}
