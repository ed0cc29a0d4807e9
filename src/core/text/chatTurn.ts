/** The three roles every chat template and every chat API accepts. */
export type ChatRole = 'system' | 'user' | 'assistant';

/**
 * One turn of a conversation as chat templates, fine-tuning datasets, prompt templates, the inference engine and chat
 * backends see it: a role and its text (the chat view's stored messages, with ids and status, are `ChatMessage`).
 * Roles are open by default (a template's `developer` or `tool`, a dataset's misspelled role that a check reports);
 * `ChatTurn<ChatRole>` narrows them where a chat API accepts only the three common ones.
 */
export interface ChatTurn<Role extends string = string> {
  role: Role;
  content: string;
}
