/**
 * Pure URL checks for the Electron shell. URLs are parsed, never compared with startsWith:
 * `app://workbench.evil.tld` and `https://attack.mitre.org.evil.tld` are different hosts.
 */

const MAX_URL_LENGTH = 8192;

function parseUrl(value: unknown): URL | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * True only when `url` has exactly the scheme, host and port of `appOrigin` and no credentials.
 * Compared field by field because `URL.origin` is "null" for custom schemes such as app:.
 */
export function isAppUrl(url: unknown, appOrigin: string): boolean {
  const u = parseUrl(url);
  const o = parseUrl(appOrigin);
  if (!u || !o || o.hostname === '') return false;
  return (
    u.protocol === o.protocol &&
    u.hostname === o.hostname &&
    u.port === o.port &&
    u.username === '' &&
    u.password === ''
  );
}

/** `will-navigate`, `will-redirect` and `will-frame-navigate` may only stay on the app's origin. */
export function isAllowedNavigation(url: unknown, appOrigin: string): boolean {
  return isAppUrl(url, appOrigin);
}

export interface ExternalLinkRule {
  /** Exact host name (no subdomains). */
  host: string;
  /** When set, the path must be this folder (with or without the trailing slash) or inside it. */
  pathPrefix?: string;
}

/** Sites the analyst may open in the system browser from the app. */
export const EXTERNAL_LINK_ALLOWLIST: readonly ExternalLinkRule[] = [
  { host: 'attack.mitre.org' },
  { host: 'github.com', pathPrefix: '/SigmaHQ/' },
];

/** Links open outside only for https: URLs on the allowlist: default port, no credentials. */
export function isAllowedExternalUrl(
  url: unknown,
  allowlist: readonly ExternalLinkRule[] = EXTERNAL_LINK_ALLOWLIST,
): boolean {
  const u = parseUrl(url);
  if (!u || u.protocol !== 'https:' || u.port !== '' || u.username !== '' || u.password !== '') return false;
  return allowlist.some((rule) => {
    if (u.hostname !== rule.host) return false;
    if (!rule.pathPrefix) return true;
    const folder = rule.pathPrefix.endsWith('/') ? rule.pathPrefix : `${rule.pathPrefix}/`;
    return u.pathname === folder.slice(0, -1) || u.pathname.startsWith(folder);
  });
}
