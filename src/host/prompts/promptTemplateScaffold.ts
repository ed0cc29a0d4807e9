/** The files "Chatwright: New Prompt Template" writes: a template and a few-shot examples file it points to. */
export function scaffoldPromptTemplate(name: string, model?: string): { template: string; examples: string } {
  const title = name.replace(/[-_]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
  const template = `---
name: ${title}
description: Answers questions about ${title.toLowerCase()} briefly and accurately.
model:
  api: chat${model ? `\n  id: ${model}` : ''}
  parameters:
    temperature: 0.2
    max_tokens: 512
inputs:
  question:
    type: string
    description: The user's question.
sample:
  question: How do I reset my password?
# Chatwright: few-shot examples (the fine-tuning JSONL format), inserted after the system message.
examples:
  file: ${name}.examples.jsonl
  k: 2
  strategy: similar
---
system:
You are a helpful assistant for ${title}. Answer in at most three sentences.
If you do not know the answer, say so and suggest where to look.

user:
{{question}}
`;
  const rows = [
    [
      { role: 'user', content: 'How do I change my email address?' },
      { role: 'assistant', content: 'Open Settings → Account, choose "Email", enter the new address and confirm it from the message we send you.' },
    ],
    [
      { role: 'user', content: 'I forgot my password.' },
      { role: 'assistant', content: 'Choose "Forgot password" on the sign-in page; we email you a link that is valid for one hour.' },
    ],
    [
      { role: 'user', content: 'Can I delete my account?' },
      { role: 'assistant', content: 'Yes: Settings → Account → "Delete account". It is permanent after 30 days.' },
    ],
  ];
  return { template, examples: rows.map((messages) => JSON.stringify({ messages })).join('\n') + '\n' };
}

/** A file name for a new template: letters, digits, `-` and `_` only. */
export function isValidTemplateName(name: string): boolean {
  return /^[A-Za-z0-9][\w-]{0,63}$/.test(name);
}
