import {
  OPENAI_DEFAULT_BASE_URL,
  WorkbenchError,
  toErrorPayload,
  type EndpointSummary,
  type EndpointTestResult,
} from '../contract/index';
import type { Capability, HandlerContext, ServiceRegistry } from '../core/capability';
import type { Db } from '../db/connection';
import type { Logger } from '../core/logger';
import { getSetting } from '../settings/settingsRepo';
import type { KeyStore } from '../secrets/keyStore';
import { createFileKeyStore } from '../secrets/fileKeyStore';
import { createOpenAIProvider, listRemoteModels } from '../runtime/openai/openaiProvider';
import { ProviderCallError } from '../runtime/openai/openaiErrors';
import type { ChatProvider } from '../runtime/provider';
import { keyRefFor, OPENAI_ENV_VAR, resolveKey } from './endpointKeys';
import {
  countModelsUsingEndpoint,
  deleteEndpoint,
  findEndpointByName,
  firstEndpointOfKind,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  setKeyRef,
  setKeyStatus,
  setLastError,
  type EndpointRecord,
} from './endpointsRepo';

export interface EndpointsCapabilityOptions {
  /** Where environment keys are read from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

type StartCtx = Omit<HandlerContext, 'actor'>;

// Defaults for calls to remote endpoints; `endpoints.timeout_ms` / `endpoints.max_retries` settings override.
const DEFAULT_CHAT_TIMEOUT_MS = 60_000;
const DEFAULT_TEST_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_RETRIES = 2;

function keyStoreOf(services: ServiceRegistry): KeyStore {
  // Looked up on every use: the Electron shell may register its safeStorage store after start-up.
  return services.get('keyStore');
}

function normalizeBaseUrl(raw: string): string {
  const u = new URL(raw);
  u.pathname = u.pathname.replace(/\/+$/, '');
  return u.toString().replace(/\/+$/, '');
}

function callLimits(db: Db, fallbackTimeout: number): { timeoutMs: number; maxRetries: number } {
  const t = getSetting<unknown>(db, 'endpoints.timeout_ms');
  const r = getSetting<unknown>(db, 'endpoints.max_retries');
  return {
    timeoutMs: typeof t === 'number' && t >= 100 && t <= 600_000 ? t : fallbackTimeout,
    maxRetries: typeof r === 'number' && Number.isInteger(r) && r >= 0 && r <= 5 ? r : DEFAULT_MAX_RETRIES,
  };
}

function requireEndpoint(db: Db, id: number): EndpointRecord {
  const ep = getEndpoint(db, id);
  if (!ep) throw new WorkbenchError('not_found', `Endpoint ${id} does not exist.`);
  return ep;
}

function requireStorage(keyStore: KeyStore): void {
  const avail = keyStore.available();
  if (!avail.ok) {
    throw new WorkbenchError(
      'forbidden',
      avail.reason ?? 'Keys cannot be stored safely on this machine. Nothing was saved.',
    );
  }
}

export function createEndpointsCapability(opts: EndpointsCapabilityOptions = {}): Capability {
  const env = opts.env ?? process.env;

  function summary(ep: EndpointRecord, keyStore: KeyStore): EndpointSummary {
    const resolved = resolveKey(ep, keyStore, env);
    return {
      id: ep.id,
      name: ep.name,
      kind: ep.kind,
      baseUrl: ep.baseUrl,
      hasKey: resolved.key !== null,
      keySource: resolved.source,
      keyStatus: ep.keyStatus,
      keyCheckedAt: ep.keyCheckedAt,
      lastError: ep.lastError,
      createdAt: ep.createdAt,
    };
  }

  /** Status hooks a provider calls back into; they must never throw into a chat. */
  function statusHooks(db: Db, log: Logger, endpointId: number) {
    const safe = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        log.warn('endpoint status not recorded', { endpointId, what, error: String(err) });
      }
    };
    return {
      onKeyRejected: (message: string) => safe('invalid', () => setKeyStatus(db, endpointId, 'invalid', message)),
      onKeyAccepted: () =>
        safe('ok', () => {
          const ep = getEndpoint(db, endpointId);
          if (ep && (ep.keyStatus !== 'ok' || ep.lastError !== null)) setKeyStatus(db, endpointId, 'ok', null);
        }),
      onFailure: (message: string) => safe('error', () => setLastError(db, endpointId, message)),
    };
  }

  function remoteProviders(ctx: StartCtx) {
    return {
      forModel(m: {
        id: number;
        kind: 'openai' | 'openai_compatible';
        endpointId: number | null;
        remoteModel: string | null;
      }): ChatProvider {
        const { db, log, services } = ctx;
        if (!m.remoteModel) {
          throw new WorkbenchError(
            'bad_input',
            `Model ${m.id} has no remote model name; set one in the model registry.`,
          );
        }
        const keyStore = keyStoreOf(services);
        let ep: EndpointRecord | null = m.endpointId !== null ? getEndpoint(db, m.endpointId) : null;
        if (!ep && m.endpointId === null && m.kind === 'openai') ep = firstEndpointOfKind(db, 'openai');
        let apiKey: string | null;
        let hooks: ReturnType<typeof statusHooks> | Record<string, never> = {};
        let endpointName: string;
        let baseUrl: string;
        if (ep) {
          apiKey = resolveKey(ep, keyStore, env).key;
          hooks = statusHooks(db, log, ep.id);
          endpointName = ep.name;
          baseUrl = ep.baseUrl;
        } else if (m.endpointId === null && m.kind === 'openai' && env[OPENAI_ENV_VAR]?.trim()) {
          // Headless convenience: OpenAI models work with only TW_OPENAI_API_KEY set.
          apiKey = env[OPENAI_ENV_VAR]!.trim();
          endpointName = 'OpenAI';
          baseUrl = OPENAI_DEFAULT_BASE_URL;
        } else {
          throw new WorkbenchError(
            'not_found',
            m.endpointId === null
              ? `Model ${m.id} is not linked to an endpoint. Add one in Settings → Endpoints.`
              : `Endpoint ${m.endpointId} of model ${m.id} does not exist.`,
          );
        }
        if (!apiKey) {
          throw new WorkbenchError(
            'unauthorized',
            `No key is set for endpoint "${endpointName}". Set one in Settings → Endpoints.`,
          );
        }
        return createOpenAIProvider({
          kind: ep?.kind ?? m.kind,
          endpointName,
          baseUrl,
          apiKey,
          model: m.remoteModel,
          ...callLimits(db, DEFAULT_CHAT_TIMEOUT_MS),
          log,
          ...hooks,
        });
      },
    };
  }

  return {
    name: 'endpoints',
    start(ctx) {
      try {
        ctx.services.get('keyStore');
      } catch {
        ctx.services.set('keyStore', createFileKeyStore(ctx.dataDir, ctx.log));
      }
      ctx.services.set('remoteProviders', remoteProviders(ctx));
    },
    handlers: {
      'endpoints.list': (_args, { db, services }) => {
        const keyStore = keyStoreOf(services);
        const avail = keyStore.available();
        return {
          items: listEndpoints(db).map((ep) => summary(ep, keyStore)),
          keyStorage: { ok: avail.ok, reason: avail.reason ?? null },
        };
      },
      'endpoints.add': (args, { db, services, log }) => {
        const keyStore = keyStoreOf(services);
        if (args.apiKey !== undefined) requireStorage(keyStore);
        if (findEndpointByName(db, args.name)) {
          throw new WorkbenchError('conflict', `An endpoint named "${args.name}" already exists.`);
        }
        const baseUrl = normalizeBaseUrl(args.baseUrl ?? OPENAI_DEFAULT_BASE_URL);
        const id = insertEndpoint(db, { name: args.name, kind: args.kind, baseUrl });
        if (args.apiKey !== undefined) {
          try {
            keyStore.set(keyRefFor(id), args.apiKey);
          } catch (err) {
            // No endpoint without the key the user asked to store with it.
            deleteEndpoint(db, id);
            log.warn('storing an endpoint key failed', { endpointId: id, error: toErrorPayload(err).message });
            if (err instanceof WorkbenchError) throw err;
            throw new WorkbenchError('internal', 'The key could not be stored; the endpoint was not added.');
          }
          setKeyRef(db, id, keyRefFor(id));
        }
        log.info('endpoint added', { endpointId: id, kind: args.kind, keyStored: args.apiKey !== undefined });
        return summary(requireEndpoint(db, id), keyStore);
      },
      'endpoints.setKey': (args, { db, services, log }) => {
        const keyStore = keyStoreOf(services);
        requireEndpoint(db, args.id);
        requireStorage(keyStore);
        try {
          keyStore.set(keyRefFor(args.id), args.apiKey);
        } catch (err) {
          log.warn('storing an endpoint key failed', { endpointId: args.id, error: toErrorPayload(err).message });
          if (err instanceof WorkbenchError) throw err;
          throw new WorkbenchError('internal', 'The key could not be stored.');
        }
        setKeyRef(db, args.id, keyRefFor(args.id));
        log.info('endpoint key set', { endpointId: args.id });
        return summary(requireEndpoint(db, args.id), keyStore);
      },
      'endpoints.clearKey': (args, { db, services, log }) => {
        const keyStore = keyStoreOf(services);
        const ep = requireEndpoint(db, args.id);
        if (ep.keyRef) keyStore.delete(ep.keyRef);
        setKeyRef(db, args.id, null);
        log.info('endpoint key cleared', { endpointId: args.id });
        return summary(requireEndpoint(db, args.id), keyStore);
      },
      'endpoints.remove': (args, { db, services, log }) => {
        const ep = requireEndpoint(db, args.id);
        const users = countModelsUsingEndpoint(db, args.id);
        if (users > 0) {
          throw new WorkbenchError(
            'conflict',
            `Endpoint "${ep.name}" is used by ${users} registered model${users === 1 ? '' : 's'}; archive or move them first.`,
          );
        }
        deleteEndpoint(db, args.id);
        if (ep.keyRef) {
          try {
            keyStoreOf(services).delete(ep.keyRef);
          } catch (err) {
            log.warn('endpoint key not deleted from the key store', {
              endpointId: args.id,
              error: toErrorPayload(err).message,
            });
          }
        }
        log.info('endpoint removed', { endpointId: args.id });
        return { id: args.id };
      },
      'endpoints.test': async (args, { db, services, log, signal }): Promise<EndpointTestResult> => {
        const keyStore = keyStoreOf(services);
        const ep = requireEndpoint(db, args.id);
        const { key } = resolveKey(ep, keyStore, env);
        if (!key) {
          return {
            ok: false,
            models: [],
            latencyMs: 0,
            error: { code: 'unauthorized', message: `No key is set for endpoint "${ep.name}".` },
            endpoint: summary(ep, keyStore),
          };
        }
        try {
          const { models, latencyMs } = await listRemoteModels(
            {
              kind: ep.kind,
              endpointName: ep.name,
              baseUrl: ep.baseUrl,
              apiKey: key,
              ...callLimits(db, DEFAULT_TEST_TIMEOUT_MS),
              log,
            },
            signal,
          );
          setKeyStatus(db, ep.id, 'ok', null);
          log.info('endpoint test passed', { endpointId: ep.id, models: models.length, latencyMs });
          return { ok: true, models, latencyMs, error: null, endpoint: summary(requireEndpoint(db, ep.id), keyStore) };
        } catch (err) {
          if (!(err instanceof ProviderCallError)) throw err;
          if (err.keyRejected) setKeyStatus(db, ep.id, 'invalid', err.message);
          else setLastError(db, ep.id, err.message);
          log.warn('endpoint test failed', { endpointId: ep.id, code: err.code, message: err.message });
          return {
            ok: false,
            models: [],
            latencyMs: 0,
            error: toErrorPayload(err),
            endpoint: summary(requireEndpoint(db, ep.id), keyStore),
          };
        }
      },
    },
  };
}

export const endpointsCapability = createEndpointsCapability();
