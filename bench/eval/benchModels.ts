import { type ChatTurn } from '../../src/core/text/chatTurn';
import { lastUserText } from '../../test/support/scriptedOpenAiServer';

/** The orchestration benchmark's scripted models: answers of a realistic length that depend on the question. */
export const benchModels = {
  plain: (messages: readonly ChatTurn[]) => `To answer "${lastUserText(messages)}": open the settings, enable it, and read the log when it fails.`,
  tuned: (messages: readonly ChatTurn[]) => `Enable it in the settings (${lastUserText(messages).length} characters asked).`,
};
