import { describe, expect, it, vi } from 'vitest';
import {
  denyPermissionCheck,
  denyPermissionRequest,
  hardenSession,
  hardenWebContents,
} from '../../src-main/electron/hardenWebContents';
import { isAllowedExternalUrl, isAllowedNavigation, isAppUrl } from '../../src-main/electron/navigation';
import { FakeWebContents, fakeSession } from './fakeElectron';

const APP = 'app://workbench';

const REFUSED_NAVIGATIONS = [
  'app://workbench.evil.tld/index.html',
  'app://evil.tld/index.html',
  'app://workbench@evil.tld/',
  'app://evil@workbench/index.html',
  'app://user:pw@workbench/',
  'app://workbench:8080/index.html',
  'app://WORKBENCH.evil.tld/',
  'app:workbench/index.html',
  'https://workbench/index.html',
  'http://workbench/',
  'file:///etc/passwd',
  'file://workbench/index.html',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(document.domain)',
  'data:text/html,<script>alert(1)</script>',
  'blob:app://workbench/5f0c1c2e-0000-4000-8000-000000000000',
  'about:blank',
  'chrome://settings',
  'devtools://devtools/bundled/inspector.html',
  'https://attack.mitre.org/',
  '',
  'not a url',
  'app://workbench.evil.tld',
];

describe('navigation checks (E4)', () => {
  it('allows only our own origin', () => {
    expect(isAllowedNavigation('app://workbench/index.html', APP)).toBe(true);
    expect(isAllowedNavigation('app://workbench/', APP)).toBe(true);
    expect(isAllowedNavigation('app://workbench/review?x=1#y', APP)).toBe(true);
    for (const url of REFUSED_NAVIGATIONS) expect([url, isAllowedNavigation(url, APP)]).toEqual([url, false]);
  });

  it('compares parsed origins, never prefixes (https://app.example.evil.tld is not https://app.example)', () => {
    expect(isAppUrl('https://app.example/page', 'https://app.example')).toBe(true);
    expect(isAppUrl('https://app.example.evil.tld/page', 'https://app.example')).toBe(false);
    expect(isAppUrl('https://app.example@evil.tld/', 'https://app.example')).toBe(false);
    expect(isAppUrl('http://app.example/', 'https://app.example')).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl('http://localhost.evil.tld:5173/', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl(42, APP)).toBe(false);
    expect(isAppUrl('app://workbench/', 'not an origin')).toBe(false);
  });

  it('external links: https only, on the allowlist, exact host', () => {
    for (const ok of [
      'https://attack.mitre.org/techniques/T1059/001/',
      'https://ATTACK.mitre.org/',
      'https://github.com/SigmaHQ/sigma/blob/master/rules/windows/x.yml',
      'https://github.com/SigmaHQ',
    ]) {
      expect([ok, isAllowedExternalUrl(ok)]).toEqual([ok, true]);
    }
    for (const bad of [
      'http://attack.mitre.org/',
      'https://attack.mitre.org.evil.tld/',
      'https://evil.attack.mitre.org/',
      'https://evilattack.mitre.org/',
      'https://evil.tld/attack.mitre.org',
      'https://attack.mitre.org@evil.tld/',
      'https://user:pw@attack.mitre.org/',
      'https://attack.mitre.org:8443/',
      'https://attack.mitre.org./',
      'https://github.com/',
      'https://github.com/SigmaHQevil/x',
      'https://github.com/SigmaHQ/../evil/repo',
      'https://github.com/sigmahq-evil/x',
      'https://gist.github.com/SigmaHQ/x',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/html,hi',
      'app://workbench/index.html',
      'ftp://attack.mitre.org/',
      '',
    ]) {
      expect([bad, isAllowedExternalUrl(bad)]).toEqual([bad, false]);
    }
  });
});

function navEvent(url: string) {
  return { url, preventDefault: vi.fn() };
}

function hardened() {
  const contents = new FakeWebContents();
  const openExternal = vi.fn(async (_url: string) => undefined);
  const onRefused = vi.fn();
  hardenWebContents(contents as never, { appOrigin: APP, openExternal, onRefused });
  return { contents, openExternal, onRefused };
}

describe('web contents hardening (E4, E5, E6, E10)', () => {
  it('will-navigate, will-redirect and will-frame-navigate refuse everything but our origin', () => {
    const { contents, openExternal } = hardened();
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(contents.listenerCount(event)).toBe(1);
      const ok = navEvent('app://workbench/datasets');
      contents.emit(event, ok);
      expect(ok.preventDefault).not.toHaveBeenCalled();
      for (const url of REFUSED_NAVIGATIONS) {
        const e = navEvent(url);
        contents.emit(event, e);
        expect([event, url, e.preventDefault.mock.calls.length]).toEqual([event, url, 1]);
      }
    }
    // The allowlisted https link above went to the browser once (from will-navigate only).
    expect(openExternal.mock.calls).toEqual([['https://attack.mitre.org/']]);
  });

  it('a clicked allowlisted link opens in the browser, a redirect to it does not', () => {
    const { contents, openExternal } = hardened();
    const redirect = navEvent('https://github.com/SigmaHQ/sigma');
    contents.emit('will-redirect', redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
    const click = navEvent('https://github.com/SigmaHQ/sigma');
    contents.emit('will-navigate', click);
    expect(click.preventDefault).toHaveBeenCalled();
    expect(openExternal).toHaveBeenCalledWith('https://github.com/SigmaHQ/sigma');
  });

  it('window.open is always denied; only allowlisted https links reach shell.openExternal', () => {
    const { contents, openExternal, onRefused } = hardened();
    const handler = contents.windowOpenHandler!;
    expect(handler).toBeTypeOf('function');
    for (const url of [...REFUSED_NAVIGATIONS, 'app://workbench/index.html', 'https://attack.mitre.org/x']) {
      expect(handler({ url })).toEqual({ action: 'deny' });
    }
    expect(openExternal.mock.calls).toEqual([['https://attack.mitre.org/'], ['https://attack.mitre.org/x']]);
    expect(onRefused).toHaveBeenCalledWith('window-open', 'file:///etc/passwd');
  });

  it('will-attach-webview is always prevented', () => {
    const { contents } = hardened();
    const e = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', e, { preload: '/tmp/evil.js', nodeIntegration: true }, { src: APP });
    expect(e.preventDefault).toHaveBeenCalledTimes(1);
  });

  it('permission request and check handlers deny everything (also on the contents own session)', async () => {
    const { contents } = hardened();
    const session = fakeSession();
    hardenSession(session as never);
    for (const s of [session, contents.session]) {
      expect(s.requestHandler).toBe(denyPermissionRequest);
      expect(s.checkHandler).toBe(denyPermissionCheck);
      for (const permission of [
        'media',
        'notifications',
        'geolocation',
        'openExternal',
        'clipboard-read',
        'hid',
        'unknown',
      ]) {
        const granted = await new Promise<boolean>((resolve) => s.requestHandler!(contents, permission, resolve, {}));
        expect([permission, granted]).toEqual([permission, false]);
        expect(s.checkHandler!(contents, permission, APP, {})).toBe(false);
      }
    }
  });
});
