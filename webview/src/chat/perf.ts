/**
 * Browser performance marks for the chat's budgets (bench/chat reads them): the time from a token's arrival to the
 * paint that shows it, long tasks, the first render. A sample is taken after the frame that rendered the token: a
 * MessageChannel task queued from the requestAnimationFrame callback runs after that frame's paint.
 */
const channel = new MessageChannel();
let waiting: number[] = [];
const samples: number[] = [];
const maxSamples = 20_000;

channel.port1.onmessage = () => {
  const now = performance.now();
  for (const arrivedAt of waiting) {
    if (samples.length < maxSamples) samples.push(now - arrivedAt);
  }
  waiting = [];
};

let rendered: number[] = [];

export function tokenArrived(): number {
  return performance.now();
}

/** Call from the animation frame that put tokens that arrived at `arrivals` on screen. */
export function tokensRendered(arrivals: readonly number[]): void {
  rendered.push(...arrivals);
  waiting.push(...rendered);
  rendered = [];
  channel.port2.postMessage(0);
}

export function markFirstRender(): void {
  if (performance.getEntriesByName('chatwright:first-render').length === 0) performance.mark('chatwright:first-render');
}

/** Read by the benchmark and the tests through `window.chatwrightPerf`. */
export const chatPerf = {
  tokenToPaint: samples,
  reset(): void {
    samples.length = 0;
  },
};

(globalThis as { chatwrightPerf?: typeof chatPerf }).chatwrightPerf = chatPerf;
