import { hubOffline } from './cacheLocation';

/** Whether Chatwright may contact the Hub, and who said it may not. */
export interface OfflineDecision {
  offline: boolean;
  /** `setting`: chatwright.models.offline; `environment`: HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) in VS Code's environment. */
  source: 'setting' | 'environment' | undefined;
}

/**
 * Offline when either the user's setting or the environment says so. The environment variable wins the explanation
 * because turning the setting off would not bring the Hub back while it is set.
 */
export function decideOffline(settingOn: boolean, env: NodeJS.ProcessEnv): OfflineDecision {
  if (hubOffline(env)) return { offline: true, source: 'environment' };
  if (settingOn) return { offline: true, source: 'setting' };
  return { offline: false, source: undefined };
}

/**
 * The environment the Hub client and the download worker read: HF_HUB_OFFLINE=1 added when the decision is offline, so
 * the core's one offline check (`hubConnection`) covers the setting too.
 */
export function environmentFor(decision: OfflineDecision, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return decision.offline && decision.source === 'setting' ? { ...env, HF_HUB_OFFLINE: '1' } : { ...env };
}

/** One sentence saying why the Hub is not contacted and how to change it. */
export function describeOffline(decision: OfflineDecision): string {
  if (decision.source === 'environment')
    return 'HF_HUB_OFFLINE is set in the environment VS Code was started from, so Chatwright does not contact the Hugging Face Hub. Unset it and restart VS Code to download models.';
  if (decision.source === 'setting') return 'Offline mode is on (chatwright.models.offline), so Chatwright does not contact the Hugging Face Hub. Turn it off to search and download models.';
  return 'Chatwright may contact the Hugging Face Hub.';
}
