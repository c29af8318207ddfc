import type { Message } from '../contract/index';

/** One chat turn as a provider sees it. */
export interface ChatTurn {
  role: Message['role'];
  content: string;
}

export interface ChatOptions {
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  /** JSON schema the answer must follow (local: grammar-constrained; OpenAI: structured output). */
  jsonSchema?: Record<string, unknown>;
  /** Sampling seed, for repeatable answers (tests, evaluation). */
  seed?: number;
  signal?: AbortSignal;
  onToken?: (text: string) => void;
}

export interface ChatResult {
  text: string;
  /** Parsed JSON when a schema was given and the text parsed. */
  structured: unknown;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  /** Time to first token, ms. */
  firstTokenMs: number | null;
  /** True when the caller aborted; text holds what arrived before. */
  stopped: boolean;
}

/** What every model backend implements: local GGUF in a worker process, or an OpenAI-compatible API. */
export interface ChatProvider {
  readonly kind: 'local_gguf' | 'openai' | 'openai_compatible';
  chat(turns: ChatTurn[], opts: ChatOptions): Promise<ChatResult>;
  dispose?(): Promise<void>;
}

declare module '../core/capability' {
  interface Services {
    remoteProviders: {
      forModel(m: {
        id: number;
        kind: 'openai' | 'openai_compatible';
        endpointId: number | null;
        remoteModel: string | null;
      }): ChatProvider;
    };
  }
}
