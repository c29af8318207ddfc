import { describe, expect, it } from 'vitest';
import { STRUCTURED_ANSWER_INSTRUCTION, systemTurn } from '../../src-main/chat/buildTurns';
import { promptTurns } from '../../src-main/evaluation/evalExamples';

describe('the evaluation prompt of a dataset example', () => {
  it('adds the structured-answer instruction to a system prompt that lacks it', () => {
    const turns = promptTurns([
      { role: 'system', content: 'You triage alerts.' },
      { role: 'user', content: 'alert: root login' },
      { role: 'assistant', content: '{}' },
    ]);
    expect(turns[0]).toEqual({ role: 'system', content: `You triage alerts.\n\n${STRUCTURED_ANSWER_INSTRUCTION}` });
    expect(turns.slice(1)).toEqual([{ role: 'user', content: 'alert: root login' }]);
  });

  it('sends a system prompt that already asks for it as it is: the prompt a model was trained with', () => {
    const trained = `Triage the alert.\n\n${STRUCTURED_ANSWER_INSTRUCTION}`;
    const turns = promptTurns([
      { role: 'system', content: trained },
      { role: 'user', content: 'alert: root login' },
      { role: 'assistant', content: '{}' },
    ]);
    expect(turns[0]).toEqual({ role: 'system', content: trained });
    expect(systemTurn(trained, null, false).content).toBe(trained);
  });
});
