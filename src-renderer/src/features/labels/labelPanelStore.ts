import { create } from 'zustand';
import type { SaveLabelResult } from '../../api/contract';

export interface LabelTarget {
  conversationId: number;
  /** Label one message; its answer becomes the default corrected answer. */
  messageId?: number | null;
  /** Shown in the panel header. */
  title?: string;
}

interface LabelPanelState {
  target: LabelTarget | null;
  /** Bumped on every save, so views showing the label can refetch. */
  savedCount: number;
  lastSaved: SaveLabelResult | null;
  open(target: LabelTarget): void;
  close(): void;
  saved(result: SaveLabelResult): void;
}

/** Which conversation the label panel is open for; Triage (`l`) and the Review queue (`e`) open it. */
export const useLabelPanelStore = create<LabelPanelState>()((set, get) => ({
  target: null,
  savedCount: 0,
  lastSaved: null,
  open: (target) => set({ target }),
  close: () => set({ target: null }),
  saved: (result) => set({ savedCount: get().savedCount + 1, lastSaved: result }),
}));
