import { WorkbenchError } from '../contract/index';
import type { Capability } from '../core/capability';
import { JobEngine } from './jobEngine';
import { getJobRecord, listJobEvents, listJobRecords } from './jobsRepo';

declare module '../core/capability' {
  interface Services {
    jobs: JobEngine;
  }
}

/**
 * The persistent job engine; runners (local training, OpenAI, evaluation) register themselves with it in
 * their start(), and the engine resumes or interrupts old jobs once every capability has started.
 */
export function createJobsCapability(): Capability {
  let engine: JobEngine | null = null;
  return {
    name: 'jobs',
    start({ db, bus, log, services }) {
      engine = new JobEngine(db, bus, log);
      services.set('jobs', engine);
    },
    afterStart() {
      engine?.start();
    },
    async stop() {
      await engine?.stop();
      engine = null;
    },
    handlers: {
      'jobs.list': (args, { db, services }) => {
        const jobs = services.get('jobs');
        const positions = jobs.queuePositions();
        return { items: listJobRecords(db, args).map((j) => jobs.toContract(j, positions)) };
      },
      'jobs.get': (args, { db, services }) => {
        const job = getJobRecord(db, args.id);
        if (!job) throw new WorkbenchError('not_found', `Job ${args.id} does not exist.`);
        return services.get('jobs').toContract(job);
      },
      'jobs.events': (args, { db }) => ({ items: listJobEvents(db, args.id, args.afterId, args.limit, args.type) }),
      'jobs.cancel': (args, { services }) => {
        const jobs = services.get('jobs');
        return jobs.toContract(jobs.cancel(args.id));
      },
      'jobs.retry': (args, { services }) => {
        const jobs = services.get('jobs');
        return jobs.toContract(jobs.retry(args.id));
      },
    },
  };
}
