/** What the request handlers share with the server: the provider, the slots, the counters, and one exchange's lifetime. */
import { type Admission, type ReleaseSlot } from './admission';
import { type ServedModelProvider, ServingError } from './servedModels';
import { type ServingStatsCounter } from './servingStats';

export interface ServingContext {
  provider: ServedModelProvider;
  admission: Admission;
  stats: ServingStatsCounter;
  /** How long a stream may stay silent (queued, or before the first token) before a `: keep-alive` comment. */
  keepAliveMs: number;
  log: (line: string) => void;
}

/** One request's signal (client gone or server stopping) and which of the two it was. */
export interface ExchangeLifetime {
  signal: AbortSignal;
  clientGone: () => boolean;
}

/** A generation slot; a refusal (429 queue full, 503 closing) is counted as rejected. */
export async function acquireSlot(context: Pick<ServingContext, 'admission' | 'stats'>, signal: AbortSignal): Promise<ReleaseSlot> {
  try {
    const pending = context.admission.acquire(signal);
    context.stats.changed();
    const release = await pending;
    context.stats.changed();
    return release;
  } catch (error) {
    if (error instanceof ServingError) context.stats.countRejected();
    throw error;
  }
}
