/** The names of chat roles that datasets use: OpenAI's roles, other conventions' names for them, ShareGPT's speakers. */

/** The roles of OpenAI's chat format. */
export const chatRoles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
/** Role names other conventions use, and the chat role they mean: the rename quick fix offers these. */
export const roleRenames: Record<string, string> = {
  bot: 'assistant',
  gpt: 'assistant',
  model: 'assistant',
  ai: 'assistant',
  chatbot: 'assistant',
  human: 'user',
  usr: 'user',
  prompter: 'user',
  observation: 'tool',
};
/** ShareGPT's speakers (`from`), and the chat role each stands for. */
export const shareGptSpeakers: Record<string, string> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  system: 'system',
  tool: 'tool',
  function_call: 'assistant',
  observation: 'tool',
  function: 'tool',
};
