import { WorkbenchError } from '../contract/index';
import type { Capability } from '../core/capability';
import { getConversation, insertConversation, listConversations, renameConversation } from './conversationsRepo';

export const conversationsCapability: Capability = {
  name: 'conversations',
  handlers: {
    'conversations.list': (args, { db }) => listConversations(db, args),
    'conversations.get': (args, { db }) => {
      const c = getConversation(db, args.id);
      if (!c) throw new WorkbenchError('not_found', `Conversation ${args.id} does not exist.`);
      return c;
    },
    'conversations.create': (args, { db, bus }) => {
      const id = insertConversation(db, { sourceKind: 'triage_chat', title: args.title, task: args.task });
      if (id === null) throw new WorkbenchError('conflict', 'That conversation already exists.');
      bus.emit('conversations.changed', { ids: [id] });
      return getConversation(db, id)!;
    },
    'conversations.rename': (args, { db, bus }) => {
      if (!renameConversation(db, args.id, args.title)) {
        throw new WorkbenchError('not_found', `Conversation ${args.id} does not exist.`);
      }
      bus.emit('conversations.changed', { ids: [args.id] });
      const { messages: _m, alertPayload: _a, ...summary } = getConversation(db, args.id)!;
      return summary;
    },
  },
};
