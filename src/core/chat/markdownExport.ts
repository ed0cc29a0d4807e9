import { type Conversation, type Passage } from './chatTypes';

function location(passage: Passage): string {
  const lines = passage.startLine === passage.endLine ? `${passage.startLine}` : `${passage.startLine}-${passage.endLine}`;
  const heading = passage.headingPath.length > 0 ? ` — ${passage.headingPath.join(' › ')}` : '';
  return `\`${passage.file}:${lines}\`${heading}`;
}

function settingsLine(conversation: Conversation): string {
  const s = conversation.settings;
  const parts = [
    `model ${s.model ?? '(none)'}`,
    ...(s.compareModel ? [`compared with ${s.compareModel}`] : []),
    `template ${s.template ?? '(none)'}`,
    `few-shot ${s.fewShot.enabled ? `on, k=${s.fewShot.k}${s.fewShot.examplesFile ? `, ${s.fewShot.examplesFile}` : ''}` : 'off'}`,
    `RAG ${s.rag.enabled ? `on, k=${s.rag.k}${s.rag.index ? `, ${s.rag.index}` : ''}` : 'off'}`,
    `temperature ${s.temperature}`,
    `max tokens ${s.maxTokens}`,
  ];
  return parts.join(' · ');
}

/**
 * A conversation as a Markdown document: questions and answers as headed sections, answers verbatim (they are Markdown
 * already), then each answer's sources and stats. Meant to be read, pasted into an issue, or kept next to a dataset.
 */
export function conversationToMarkdown(conversation: Conversation, exportedAt = new Date()): string {
  const out: string[] = [`# ${conversation.title.replace(/\r?\n/g, ' ')}`, '', `_Exported from Chatwright on ${exportedAt.toISOString()}. ${settingsLine(conversation)}_`, ''];
  for (const message of conversation.messages) {
    if (message.role === 'user') {
      out.push('## You', '', message.content, '');
      continue;
    }
    // The two answers of a compare follow each other, each headed with its side and its model.
    const side = message.compare ? ` ${message.compare.slot.toUpperCase()}` : '';
    out.push(`## Assistant${side}${message.model ? ` (${message.model})` : ''}${message.preferred ? ' — preferred' : ''}`, '');
    if (message.content) out.push(message.content, '');
    if (message.status === 'stopped') out.push('_(stopped)_', '');
    if (message.status === 'error' && message.error) out.push(`> **Error (${message.error.code}):** ${message.error.message.replace(/\r?\n/g, ' ')}`, '');
    const passages = message.input?.passages ?? [];
    if (passages.length > 0) {
      out.push('**Sources**', '');
      for (const passage of passages) out.push(`${passage.index}. ${location(passage)} (score ${passage.score.toFixed(3)})`);
      out.push('');
    }
    if (message.stats) {
      const s = message.stats;
      out.push(`<sub>${s.promptTokens} prompt tokens · ${s.completionTokens} tokens · first token ${Math.round(s.timeToFirstTokenMs)} ms · ${s.tokensPerSecond.toFixed(1)} tokens/s</sub>`, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
