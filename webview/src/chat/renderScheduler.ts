import { type MessageView } from './messageView';
import { tokenArrived, tokensRendered } from './perf';

/** Lazy Markdown: answers are rendered when within this distance of the viewport, at most this long per frame. */
const renderMargin = '1200px 0px';
const frameBudgetMs = 8;

/**
 * When the message log's Markdown is rendered. Streamed text is rendered once per animation frame, however many
 * tokens arrived in it (it is what the user watches); answers of an opened conversation are rendered when they near
 * the viewport, within a per-frame budget, and the rest in idle time, newest first, so scrolling up finds it ready.
 */
export class RenderScheduler {
  private readonly observer: IntersectionObserver;
  /** The views the observer watches, by their element. */
  private readonly observed = new Map<Element, MessageView>();
  private readonly toRender = new Set<MessageView>();
  /** Views with streamed text not yet on screen, with the arrival times of that text (for the paint benchmark). */
  private readonly streamed = new Map<MessageView, number[]>();
  private background: MessageView[] = [];
  private frameRequested = false;
  private idleScheduled = false;

  constructor(
    log: HTMLElement,
    /** Called in the frame that put streamed text on screen (to keep the log scrolled to the bottom). */
    private readonly onStreamRendered: () => void,
  ) {
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { root: log, rootMargin: renderMargin });
  }

  /** Text streamed into `view`: it is rendered in the next frame. */
  textArrived(view: MessageView): void {
    const arrivals = this.streamed.get(view);
    if (arrivals) arrivals.push(tokenArrived());
    else this.streamed.set(view, [tokenArrived()]);
    this.requestFrame();
  }

  /** The view was rendered whole (its answer settled): pending streamed text is in it. */
  settled(view: MessageView): void {
    this.streamed.delete(view);
  }

  /** Forgets every view (another conversation is shown). */
  reset(): void {
    this.observer.disconnect();
    this.observed.clear();
    this.toRender.clear();
    this.streamed.clear();
    this.background = [];
  }

  /** Renders the newly shown views that are not rendered yet: near the viewport first, the rest when idle. */
  renderLazily(views: readonly MessageView[]): void {
    const pending = views.filter((view) => !view.rendered);
    for (const view of pending) {
      this.observed.set(view.element, view);
      this.observer.observe(view.element);
    }
    this.background = pending;
    this.scheduleIdle();
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  /** One animation frame: streamed text first, then lazy renders within the budget. */
  private frame(): void {
    this.frameRequested = false;
    const started = performance.now();
    const arrivals: number[] = [];
    for (const [view, times] of this.streamed) {
      view.renderBody();
      arrivals.push(...times);
    }
    this.streamed.clear();
    if (arrivals.length > 0) {
      this.onStreamRendered();
      tokensRendered(arrivals);
    }
    for (const view of this.toRender) {
      if (performance.now() - started > frameBudgetMs) break;
      this.toRender.delete(view);
      if (!view.rendered) view.renderBody();
    }
    if (this.toRender.size > 0) this.requestFrame();
  }

  private scheduleIdle(): void {
    if (this.idleScheduled || this.background.length === 0) return;
    this.idleScheduled = true;
    requestIdleCallback((deadline) => {
      this.idleScheduled = false;
      const started = performance.now();
      while (this.background.length > 0 && deadline.timeRemaining() > 1 && performance.now() - started < frameBudgetMs) {
        const view = this.background.pop()!;
        if (view.element.isConnected && !view.rendered) view.renderBody();
      }
      this.scheduleIdle();
    });
  }

  private onVisible(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const view = this.observed.get(entry.target);
      if (view && !view.rendered) this.toRender.add(view);
      this.observer.unobserve(entry.target);
      this.observed.delete(entry.target);
    }
    if (this.toRender.size > 0) this.requestFrame();
  }
}
