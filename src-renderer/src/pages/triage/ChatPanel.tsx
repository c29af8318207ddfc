/**
 * CHAT COMPOSER SLOT, filled by the chat feature: streaming chat with task and model pickers and
 * Stop. ConversationView renders it under the open conversation's messages.
 */
export { ChatPanel, type ChatPanelProps } from '../../features/chat/ChatPanel';
