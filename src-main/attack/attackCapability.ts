import { WorkbenchError } from '../contract/index';
import type { Capability } from '../core/capability';
import { attackCatalogue, type AttackCatalogue } from './attackCatalogue';

declare module '../core/capability' {
  interface Services {
    /** The ATT&CK catalogue; loaded on first call, not at start-up. */
    attack: () => AttackCatalogue;
  }
}

export const attackCapability: Capability = {
  name: 'attack',
  start(ctx) {
    ctx.services.set('attack', attackCatalogue);
  },
  handlers: {
    'attack.search': (args) =>
      attackCatalogue().search(args.query, { limit: args.limit, includeDeprecated: args.includeDeprecated }),
    'attack.get': (args) => {
      const t = attackCatalogue().get(args.id);
      if (!t) throw new WorkbenchError('not_found', `${args.id} is not in the ATT&CK v18.1 catalogue.`);
      return t;
    },
    'attack.tactics': () => {
      const c = attackCatalogue();
      return { version: c.version, items: [...c.tactics] };
    },
  },
};
