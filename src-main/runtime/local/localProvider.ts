import type { ChatProvider } from '../provider';
import type { LocalChatRequest, LocalModelRuntime } from './workerClient';

/** A ChatProvider for one local GGUF model, run by the shared model worker. */
export function localProvider(runtime: LocalModelRuntime, model: LocalChatRequest): ChatProvider {
  return {
    kind: 'local_gguf',
    chat: (turns, opts) => runtime.chat(model, turns, opts),
  };
}
