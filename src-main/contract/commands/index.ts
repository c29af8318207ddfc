import { appCommands } from './app';
import { conversationCommands } from './conversations';
import { datasetCommands } from './datasets';
import { modelCommands } from './models';
import { chatCommands } from './chat';
import { importCommands } from './imports';
import { attackCommands } from './attack';
import { labelCommands } from './labels';
import { reviewCommands } from './review';
import { jobCommands } from './jobs';
import { endpointCommands } from './endpoints';
import { trainingCommands } from './training';
import { evaluationCommands } from './evaluation';
import { registryCommands } from './registry';
import { abtestCommands } from './abtest';

/**
 * The whole command map. Each capability owns one file under commands/ and is spread in here;
 * the registry checks at start-up that no two capability files define the same name.
 */
export const commands = {
  ...appCommands,
  ...conversationCommands,
  ...datasetCommands,
  ...modelCommands,
  ...chatCommands,
  ...importCommands,
  ...attackCommands,
  ...labelCommands,
  ...reviewCommands,
  ...jobCommands,
  ...endpointCommands,
  ...trainingCommands,
  ...evaluationCommands,
  ...registryCommands,
  ...abtestCommands,
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
