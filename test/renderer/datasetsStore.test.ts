import { describe, expect, it, vi } from 'vitest';
import {
  createDatasetsStore,
  toBuildOptions,
  DEFAULT_OPTIONS,
} from '../../src-renderer/src/features/datasets/datasetsStore';
import { ApiError, type Api } from '../../src-renderer/src/api/client';
import { BuildOptionsSchema } from '../../src-main/contract/index';

describe('datasets store (renderer)', () => {
  it('sends options the contract accepts, and per-example secret fixes', async () => {
    const invoke = vi.fn(async (name: string, args: unknown) => {
      if (name === 'datasets.preview') return { steps: {}, args };
      throw new ApiError('not_found', 'no');
    });
    const store = createDatasetsStore({ invoke } as unknown as Pick<Api, 'invoke'>);
    store.getState().setFilter({ verdicts: ['true_positive'] });
    store.getState().setSecretFix(12, 'redact');
    store.getState().setSecretFix(13, 'exclude');
    store.getState().setSecretFix(13, 'block');
    store.getState().setOptions({ allowlist: '198.51.100.7, evil.example ' });
    await store.getState().runPreview();
    const [, args] = invoke.mock.calls[0]! as [string, { filter: unknown; options: unknown }];
    expect(args.filter).toEqual({ task: 'triage', verdicts: ['true_positive'] });
    const parsed = BuildOptionsSchema.parse(args.options);
    expect(parsed.secrets.perConversation).toEqual({ '12': 'redact' });
    expect(parsed.allowlist).toEqual(['198.51.100.7', 'evil.example']);
    expect(store.getState().previewStatus).toBe('ready');
    expect(BuildOptionsSchema.safeParse(toBuildOptions(DEFAULT_OPTIONS)).success).toBe(true);
  });

  it('shows a failed export as an error message', async () => {
    const invoke = vi.fn(async () => {
      throw new ApiError('forbidden', 'Version 1 holds secrets.');
    });
    const store = createDatasetsStore({ invoke } as unknown as Pick<Api, 'invoke'>);
    await store.getState().exportVersion(1, 'openai');
    expect(store.getState()).toMatchObject({
      exporting: null,
      exportError: 'Version 1 holds secrets.',
      exportResult: null,
    });
  });
});
