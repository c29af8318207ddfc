import { events, type EventName, type EventPayload } from '../contract/index';

type Listener<K extends EventName> = (payload: EventPayload<K>) => void;
type AnyListener = (name: EventName, payload: unknown) => void;

/** Typed in-process event bus; payloads are parsed against the contract before anyone sees them. */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private readonly anyListeners = new Set<AnyListener>();

  on<K extends EventName>(name: K, cb: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(cb as Listener<EventName>);
    return () => set.delete(cb as Listener<EventName>);
  }

  /** Hosts forward every event to their renderers through this. */
  onAny(cb: AnyListener): () => void {
    this.anyListeners.add(cb);
    return () => this.anyListeners.delete(cb);
  }

  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const parsed = events[name].parse(payload) as EventPayload<K>;
    for (const cb of this.listeners.get(name) ?? []) cb(parsed);
    for (const cb of this.anyListeners) cb(name, parsed);
  }
}
