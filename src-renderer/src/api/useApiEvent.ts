import { useEffect, useRef } from 'react';
import { api, type ConnectionState } from './client';
import type { EventName, EventPayload } from './contract';

/** Subscribes to a core event for the component's lifetime; the latest callback is always used. */
export function useApiEvent<K extends EventName>(name: K, cb: (payload: EventPayload<K>) => void): void {
  const latest = useRef(cb);
  useEffect(() => {
    latest.current = cb;
  });
  useEffect(() => api.on(name, (payload) => latest.current(payload)), [name]);
}

/** Calls back when the event stream (re)opens, so views can refetch what they may have missed. */
export function useConnection(cb: (state: ConnectionState) => void): void {
  const latest = useRef(cb);
  useEffect(() => {
    latest.current = cb;
  });
  useEffect(() => api.onConnection((s) => latest.current(s)), []);
}
