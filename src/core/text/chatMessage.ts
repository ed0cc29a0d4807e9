/** The three roles every chat template and every chat API accepts. */
export type ChatRole = 'system' | 'user' | 'assistant';

/**
 * One turn of a conversation as chat templates, fine-tuning datasets, prompt templates and chat backends see it: a role
 * and its text. Roles are open by default (a template's `developer` or `tool`, a dataset's misspelled role that a check
 * reports); `ChatMessage<ChatRole>` narrows them where a chat API accepts only the three common ones.
 */
export interface ChatMessage<Role extends string = string> {
  role: Role;
  content: string;
}
