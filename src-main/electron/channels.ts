/** The only two IPC channels: renderer → main commands, and main → renderer events. */
export const INVOKE_CHANNEL = 'tw:invoke';
export const EVENT_CHANNEL = 'tw:event';

/** The custom protocol that serves out/renderer; its origin is the only one trusted over IPC. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
