import type { AppInfo } from '../contract/index';
import type { Capability } from './capability';
import { appCapability } from './appCapability';
import { conversationsCapability } from '../conversations/conversationsCapability';
import { importsCapability } from '../importers/importsCapability';
import { modelsCapability } from '../models/modelsCapability';
import { tasksCapability } from '../tasks/tasksCapability';
import { createChatCapability } from '../chat/chatCapability';
import { datasetsCapability } from '../datasets/datasetsCapability';
import { attackCapability } from '../attack/attackCapability';
import { labelsCapability } from '../labels/labelsCapability';
import { createReviewCapability } from '../review/reviewCapability';
import { endpointsCapability } from '../endpoints/endpointsCapability';
import { createJobsCapability } from '../jobs/jobsCapability';
import { createTrainingCapability } from '../training/trainingCapability';
import { createEvaluationCapability } from '../evaluation/evaluationCapability';
import { createCompareCapability } from '../evaluation/compareCapability';
import { registryCapability } from '../registry/registryCapability';
import { createTriggersCapability } from '../triggers/triggersCapability';

/** Every built-in capability. Each feature adds its one line here. */
export function allCapabilities(host: AppInfo['host']): Capability[] {
  return [
    appCapability(host),
    conversationsCapability,
    importsCapability(host),
    modelsCapability,
    tasksCapability,
    createChatCapability(),
    datasetsCapability,
    attackCapability,
    labelsCapability,
    createReviewCapability(),
    endpointsCapability,
    createJobsCapability(),
    createTrainingCapability(),
    createEvaluationCapability(),
    createCompareCapability(),
    registryCapability,
    createTriggersCapability(),
  ];
}
