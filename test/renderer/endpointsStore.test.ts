import { describe, expect, it, vi } from 'vitest';
import { createEndpointsStore, type EndpointSummary } from '../../src-renderer/src/features/endpoints/endpointsStore';
import { ApiError, type Api } from '../../src-renderer/src/api/client';

function ep(id: number, over: Partial<EndpointSummary> = {}): EndpointSummary {
  return {
    id,
    name: `Endpoint ${id}`,
    kind: 'openai_compatible',
    baseUrl: 'http://127.0.0.1:8000/v1',
    hasKey: false,
    keySource: null,
    keyStatus: 'unknown',
    keyCheckedAt: null,
    lastError: null,
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

/** A fake core holding endpoints; keys go in and never come out, like the real one. */
function fakeApi() {
  const items: EndpointSummary[] = [ep(1, { name: 'Beta' })];
  const keys = new Map<number, string>();
  const invoke = vi.fn(async (name: string, args: Record<string, unknown>) => {
    const find = () => {
      const e = items.find((x) => x.id === args.id);
      if (!e) throw new ApiError('not_found', `Endpoint ${String(args.id)} does not exist.`);
      return e;
    };
    switch (name) {
      case 'endpoints.list':
        return { items: [...items], keyStorage: { ok: true, reason: null } };
      case 'endpoints.add': {
        if (items.some((x) => x.name === args.name)) throw new ApiError('conflict', 'That name is taken.');
        const e = ep(items.length + 1, { name: args.name as string, hasKey: typeof args.apiKey === 'string' });
        items.push(e);
        return e;
      }
      case 'endpoints.setKey': {
        const e = find();
        keys.set(e.id, args.apiKey as string);
        Object.assign(e, { hasKey: true, keySource: 'store', keyStatus: 'unknown' });
        return { ...e };
      }
      case 'endpoints.test': {
        const e = find();
        const ok = keys.get(e.id) === 'sk-good-key-12345678';
        Object.assign(e, { keyStatus: ok ? 'ok' : 'invalid' });
        return {
          ok,
          models: ok ? ['m1', 'm2'] : [],
          latencyMs: 3,
          error: ok ? null : { code: 'unauthorized', message: 'The key was rejected.' },
          endpoint: { ...e },
        };
      }
      case 'endpoints.remove':
        items.splice(items.indexOf(find()), 1);
        return { id: args.id };
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  return { api: { invoke } as unknown as Pick<Api, 'invoke'>, invoke, keys };
}

describe('endpointsStore', () => {
  it('loads, adds (sorted), reports add errors as messages', async () => {
    const { api } = fakeApi();
    const store = createEndpointsStore(api);
    await store.getState().load();
    expect(store.getState()).toMatchObject({ status: 'ready', keyStorage: { ok: true } });
    expect(await store.getState().add({ name: 'Alpha', kind: 'openai' })).toBeNull();
    expect(store.getState().items.map((e) => e.name)).toEqual(['Alpha', 'Beta']);
    expect(await store.getState().add({ name: 'Alpha', kind: 'openai' })).toBe('That name is taken.');
  });

  it('sets a key, tests the connection and keeps per-endpoint results and errors', async () => {
    const { api, keys } = fakeApi();
    const store = createEndpointsStore(api);
    await store.getState().load();
    expect(await store.getState().setKey(1, 'sk-bad-key-000000000')).toBeNull();
    await store.getState().test(1);
    expect(store.getState().tests[1]).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(store.getState().items[0]).toMatchObject({ keyStatus: 'invalid', hasKey: true });
    await store.getState().setKey(1, 'sk-good-key-12345678');
    await store.getState().test(1);
    expect(store.getState().tests[1]).toMatchObject({ ok: true, models: ['m1', 'm2'] });
    expect(store.getState().items[0]).toMatchObject({ keyStatus: 'ok' });
    expect(keys.get(1)).toBe('sk-good-key-12345678');
    // The store never holds a key.
    expect(JSON.stringify(store.getState())).not.toContain('sk-good-key');
    expect(store.getState().busy).toEqual({});

    await store.getState().remove(1);
    expect(store.getState().items).toEqual([]);
    await store.getState().remove(1);
    expect(store.getState().rowErrors[1]).toBe('Endpoint 1 does not exist.');
  });
});
