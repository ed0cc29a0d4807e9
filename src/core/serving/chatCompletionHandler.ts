/**
 * `POST /v1/chat/completions` once the request is read and checked: waits for a generation slot, runs the provider,
 * and answers with one JSON body or a stream of chunks. A stream commits to its `200` only when the first text
 * arrives (or a keep-alive is due), so a failure before that still gets its real status (400 prompt too long, 500).
 */
import { randomUUID } from 'node:crypto';
import { type ServerResponse } from 'node:http';
import { closingError } from './admission';
import { type ChatCompletionRequest } from './chatCompletionRequest';
import { asServingError, sendError, sendJson } from './httpExchange';
import { type WireChatCompletion, type WireChatCompletionChunk, type WireFinishReason, type WireUsage, wireErrorBody, wireUsage } from './openAiWire';
import { type ServedChatResult } from './servedModels';
import { ServerSentEventWriter } from './serverSentEvents';
import { acquireSlot, type ExchangeLifetime, type ServingContext } from './servingContext';

export async function answerChatCompletion(context: ServingContext, parsed: ChatCompletionRequest, response: ServerResponse, lifetime: ExchangeLifetime): Promise<void> {
  if (parsed.stream) await streamChatCompletion(context, parsed, response, lifetime);
  else await completeChat(context, parsed, response, lifetime);
}

function completionIdentity(model: string): { id: string; created: number; model: string } {
  return { id: `chatcmpl-${randomUUID().replace(/-/g, '')}`, created: Math.floor(Date.now() / 1000), model };
}

/** Runs one generation in a slot; a cancelled result while the client is still there means the server is stopping. */
async function generate(
  context: ServingContext,
  parsed: ChatCompletionRequest,
  onText: (delta: string) => void,
  lifetime: ExchangeLifetime,
): Promise<ServedChatResult & { finishReason: WireFinishReason }> {
  const release = await acquireSlot(context, lifetime.signal);
  let result: ServedChatResult;
  try {
    result = await context.provider.chat(parsed.request, onText, lifetime.signal);
  } finally {
    release();
    context.stats.changed();
  }
  context.stats.countTokens(result.promptTokens, result.completionTokens);
  if (result.finishReason === 'cancelled' || lifetime.signal.aborted) throw closingError();
  return { ...result, finishReason: result.finishReason };
}

async function completeChat(context: ServingContext, parsed: ChatCompletionRequest, response: ServerResponse, lifetime: ExchangeLifetime): Promise<void> {
  const identity = completionIdentity(parsed.request.model);
  let content = '';
  const result = await generate(context, parsed, (delta) => (content += delta), lifetime);
  const body: WireChatCompletion = {
    ...identity,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: result.finishReason }],
    usage: wireUsage(result.promptTokens, result.completionTokens),
  };
  sendJson(response, 200, body);
}

async function streamChatCompletion(context: ServingContext, parsed: ChatCompletionRequest, response: ServerResponse, lifetime: ExchangeLifetime): Promise<void> {
  const identity = completionIdentity(parsed.request.model);
  const events = new ServerSentEventWriter(response);
  const chunk = (choices: WireChatCompletionChunk['choices'], usage: WireUsage | null = null): WireChatCompletionChunk => ({
    ...identity,
    object: 'chat.completion.chunk',
    choices,
    // OpenAI puts `usage: null` on every chunk of a stream that asked for usage, and the totals on the last.
    ...(parsed.includeUsage ? { usage } : {}),
  });
  const startStream = () => {
    if (events.isOpen) return;
    events.open();
    void events.event(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
  };

  // Text is written as it comes while the socket keeps up; while it waits for `drain`, later pieces gather into one chunk.
  let unsent = '';
  let writing: Promise<void> | undefined;
  const writeUnsent = async () => {
    while (unsent.length > 0) {
      const content = unsent;
      unsent = '';
      await events.event(chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]));
    }
    writing = undefined;
  };
  let textStarted = false;
  const onText = (delta: string) => {
    if (delta.length === 0 || lifetime.signal.aborted) return;
    textStarted = true;
    startStream();
    unsent += delta;
    writing ??= writeUnsent();
  };
  const keepAlive = setInterval(() => {
    if (textStarted) return;
    startStream();
    void events.comment('keep-alive');
  }, context.keepAliveMs);

  try {
    const result = await generate(context, parsed, onText, lifetime);
    await writing;
    startStream();
    await events.event(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: result.finishReason }]));
    if (parsed.includeUsage) await events.event(chunk([], wireUsage(result.promptTokens, result.completionTokens)));
    await events.done();
  } catch (error) {
    if (lifetime.clientGone()) return;
    const servingError = asServingError(error);
    if (servingError.status >= 500) context.log(`chat completion failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (!events.isOpen) {
      sendError(response, servingError);
      return;
    }
    // The status is already sent: OpenAI's clients throw on a `data:` event that carries an `error`.
    await writing;
    await events.event(wireErrorBody(servingError));
    await events.done();
  } finally {
    clearInterval(keepAlive);
  }
}
