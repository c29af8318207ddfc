import type { KeyStore } from '../secrets/keyStore';
import type { EndpointRecord } from './endpointsRepo';

/** The key-store entry for an endpoint's key (what `endpoints.key_ref` holds). */
export function keyRefFor(endpointId: number): string {
  return `endpoint-${endpointId}`;
}

/** Per-endpoint override for the headless host, e.g. TW_ENDPOINT_3_KEY. */
export function endpointEnvVar(endpointId: number): string {
  return `TW_ENDPOINT_${endpointId}_KEY`;
}

export const OPENAI_ENV_VAR = 'TW_OPENAI_API_KEY';

export interface ResolvedKey {
  key: string | null;
  source: 'store' | 'env' | null;
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): string | null {
  const v = env[name]?.trim();
  return v ? v : null;
}

/**
 * Where an endpoint's key comes from, most specific first: its own environment variable, the key
 * store, then TW_OPENAI_API_KEY for an endpoint of kind (or named) openai.
 */
export function resolveKey(
  ep: Pick<EndpointRecord, 'id' | 'name' | 'kind' | 'keyRef'>,
  keyStore: KeyStore,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedKey {
  const own = fromEnv(env, endpointEnvVar(ep.id));
  if (own) return { key: own, source: 'env' };
  if (ep.keyRef) {
    const stored = keyStore.get(ep.keyRef);
    if (stored) return { key: stored, source: 'store' };
  }
  if (ep.kind === 'openai' || ep.name.trim().toLowerCase() === 'openai') {
    const shared = fromEnv(env, OPENAI_ENV_VAR);
    if (shared) return { key: shared, source: 'env' };
  }
  return { key: null, source: null };
}
