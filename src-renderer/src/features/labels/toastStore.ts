import { create } from 'zustand';

export interface ToastAction {
  label: string;
  /** Shortcut shown next to the action, e.g. `u`. */
  keys?: string;
  run(): void;
}

export interface Toast {
  id: number;
  tone: 'ok' | 'error' | 'info';
  message: string;
  action?: ToastAction;
  /** A new toast of the same group replaces the old one (one "Approved … Undo" at a time). */
  group?: string;
}

interface ToastState {
  toasts: Toast[];
  show(t: Omit<Toast, 'id'>, ttlMs?: number): number;
  dismiss(id: number): void;
}

let nextId = 1;
const MAX_TOASTS = 3;

/** Short confirmations for the labelling and review features ("Added to the pending review queue"). */
export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  show(t, ttlMs = 6000) {
    const id = nextId++;
    const others = t.group ? get().toasts.filter((x) => x.group !== t.group) : get().toasts;
    set({ toasts: [...others, { ...t, id }].slice(-MAX_TOASTS) });
    if (ttlMs > 0) setTimeout(() => get().dismiss(id), ttlMs);
    return id;
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));

export function toast(
  message: string,
  opts: { tone?: Toast['tone']; action?: ToastAction; ttlMs?: number; group?: string } = {},
): number {
  return useToastStore.getState().show(
    {
      tone: opts.tone ?? 'ok',
      message,
      ...(opts.action ? { action: opts.action } : {}),
      ...(opts.group ? { group: opts.group } : {}),
    },
    opts.ttlMs,
  );
}
