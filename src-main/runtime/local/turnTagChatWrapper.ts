import {
  ChatWrapper,
  LlamaText,
  SpecialToken,
  SpecialTokensText,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
} from 'node-llama-cpp';

/**
 * The turn format of the generated tiny model (`<|role|>\n…<|end|>\n`, as in Phi-3), built directly rather
 * than by rendering the Jinja template: node-llama-cpp renders a Jinja template several times per prompt
 * to find its segments, which costs seconds on a byte-level vocabulary.
 */
export class TurnTagChatWrapper extends ChatWrapper {
  readonly wrapperName = 'TurnTag';

  override generateContextState({
    chatHistory,
  }: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const parts: LlamaText[] = [LlamaText(new SpecialToken('BOS'))];
    chatHistory.forEach((item, index) => {
      const last = index === chatHistory.length - 1;
      if (item.type === 'system') {
        parts.push(
          LlamaText([
            new SpecialTokensText('<|system|>\n'),
            LlamaText.fromJSON(item.text),
            new SpecialTokensText('<|end|>\n'),
          ]),
        );
      } else if (item.type === 'user') {
        parts.push(LlamaText([new SpecialTokensText('<|user|>\n'), item.text, new SpecialTokensText('<|end|>\n')]));
      } else if (item.type === 'model') {
        parts.push(
          LlamaText([
            new SpecialTokensText('<|assistant|>\n'),
            this.generateModelResponseText(item.response),
            last ? LlamaText([]) : new SpecialTokensText('<|end|>\n'),
          ]),
        );
      }
    });
    return {
      contextText: LlamaText(parts),
      stopGenerationTriggers: [
        LlamaText(new SpecialToken('EOS')),
        LlamaText(new SpecialToken('EOT')),
        LlamaText(new SpecialTokensText('<|end|>')),
        LlamaText(new SpecialTokensText('<|user|>')),
      ],
    };
  }
}
