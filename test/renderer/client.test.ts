import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, unwrapResult, type Transport } from '../../src-renderer/src/api/client';

function fakeTransport(reply: unknown): Transport & { emit(event: string, payload: unknown): void } {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  return {
    kind: 'ipc',
    invoke: vi.fn(async () => reply),
    subscribe(event, cb) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(cb);
      return () => listeners.get(event)!.delete(cb);
    },
    onConnection: () => () => {},
    emit(event, payload) {
      for (const cb of listeners.get(event) ?? []) cb(payload);
    },
  };
}

describe('api client', () => {
  it('unwraps values and throws typed errors', async () => {
    expect(unwrapResult({ ok: true, value: 3 })).toBe(3);
    const api = createApi(fakeTransport({ ok: false, error: { code: 'not_found', message: 'No such conversation.' } }));
    const err = await api.invoke('conversations.get', { id: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not_found', message: 'No such conversation.' });
  });

  it('treats unknown codes and malformed replies as internal errors', () => {
    expect(() => unwrapResult({ ok: false, error: { code: 'weird', message: 'x' } })).toThrow(
      expect.objectContaining({ code: 'internal', message: 'x' }),
    );
    expect(() => unwrapResult('<html>')).toThrow(expect.objectContaining({ code: 'internal' }));
  });

  it('delivers only events whose payload matches the contract', () => {
    const transport = fakeTransport(null);
    const api = createApi(transport);
    const seen: number[][] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const off = api.on('conversations.changed', (p) => seen.push(p.ids));
    transport.emit('conversations.changed', { ids: [1, 2] });
    transport.emit('conversations.changed', { ids: 'nope' });
    off();
    transport.emit('conversations.changed', { ids: [3] });
    expect(seen).toEqual([[1, 2]]);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
