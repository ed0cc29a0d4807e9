import type { EvalReport, QuestionSummary } from './reportTypes';
import { element } from '../lib/vscodeApi';
import { formatCount, formatScore, metricInfo, scaled, scoreBand } from './format';

export interface QuestionFilters {
  failuresOnly: boolean;
  disagreementsOnly: boolean;
  /** '' = any strategy. */
  strategy: string;
  /** Keep questions where (the chosen / some) strategy's primary score is below this, on the metric's scale. */
  below?: number;
  text: string;
}

/** Every row is this tall (evalReport.css says the same): the list places rows by index, never measuring. */
export const questionRowHeight = 30;
/** Rows drawn above and below the visible ones, so a fast scroll shows no gap. */
const overscan = 8;

/** Asks the host which questions contain a text (the page holds no references or answers to search). */
export type QuestionSearch = (text: string) => Promise<string[]>;

/**
 * The per-question list: filters, and a virtualized list (only the rows in view, plus a few, are in the DOM; a spacer
 * gives the scrollbar the whole list's height), each row the question and every strategy's primary score as a chip.
 * `virtualize: false` draws every row (the benchmark's peer).
 */
export class QuestionList {
  readonly root: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly count: HTMLElement;
  private readonly strategyPicker: HTMLSelectElement;
  private report: EvalReport | undefined;
  private visible: QuestionSummary[] = [];
  /** The ids the host found for the search text; undefined while there is no text, or before the first answer. */
  private found: Set<string> | undefined;
  private searchError = '';
  /** Counts searches: only the answer to the latest one is used. */
  private searches = 0;
  private pendingSearch = false;
  private filters: QuestionFilters = { failuresOnly: false, disagreementsOnly: false, strategy: '', text: '' };
  private drawnRange = '';
  private frame = 0;
  selectedId: string | undefined;

  constructor(
    private readonly onSelect: (row: QuestionSummary | undefined) => void,
    private readonly searchHost: QuestionSearch,
    private readonly virtualize = true,
  ) {
    const failures = element('input', { type: 'checkbox', id: 'filter-failures' });
    const disagreements = element('input', { type: 'checkbox', id: 'filter-disagreements' });
    this.strategyPicker = element('select', { id: 'filter-strategy', 'aria-label': 'Strategy' });
    const below = element('input', { type: 'number', id: 'filter-below', step: 'any', placeholder: 'score below…', 'aria-label': 'Primary score below' });
    const search = element('input', { type: 'search', id: 'filter-text', placeholder: 'Search questions, references, answers', 'aria-label': 'Search' });
    failures.addEventListener('change', () => this.setFilters({ failuresOnly: failures.checked }));
    disagreements.addEventListener('change', () => this.setFilters({ disagreementsOnly: disagreements.checked }));
    this.strategyPicker.addEventListener('change', () => this.setFilters({ strategy: this.strategyPicker.value }));
    below.addEventListener('input', () => {
      const value = below.value.trim() === '' ? undefined : Number(below.value);
      const { below: _dropped, ...rest } = this.filters;
      void _dropped;
      this.filters = value !== undefined && Number.isFinite(value) ? { ...rest, below: value } : rest;
      this.refilter();
    });
    let searchTimer: ReturnType<typeof setTimeout> | undefined;
    search.addEventListener('input', () => {
      if (searchTimer !== undefined) clearTimeout(searchTimer);
      searchTimer = setTimeout(() => this.setFilters({ text: search.value }), 120);
    });
    this.count = element('span', { class: 'hint', id: 'question-count', role: 'status' });
    this.count.setAttribute('aria-live', 'polite');
    this.spacer = element('div', { class: 'question-spacer' });
    this.viewport = element('div', { class: 'question-list', id: 'question-list', role: 'listbox', tabindex: '0', 'aria-label': 'Questions' }, this.spacer);
    this.viewport.addEventListener('scroll', () => this.drawSoon());
    this.viewport.addEventListener('click', (event) => {
      const row = (event.target as Element).closest<HTMLElement>('.question-row');
      if (row?.dataset.id !== undefined) this.select(row.dataset.id);
    });
    this.root = element(
      'div',
      { class: 'question-browser' },
      element(
        'div',
        { class: 'filters', role: 'group', 'aria-label': 'Filters' },
        element('label', {}, failures, ' Failures only'),
        element('label', {}, disagreements, ' Disagreements only'),
        this.strategyPicker,
        below,
        search,
        this.count,
      ),
      this.viewport,
    );
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.drawSoon()).observe(this.viewport);
  }

  setReport(report: EvalReport): void {
    const first = this.report === undefined;
    this.report = report;
    const names = report.strategies.map((row) => row.name);
    if (!names.includes(this.filters.strategy)) this.filters = { ...this.filters, strategy: '' };
    this.strategyPicker.replaceChildren(element('option', { value: '' }, 'Any strategy'), ...names.map((name) => element('option', { value: name }, name)));
    this.strategyPicker.value = this.filters.strategy;
    // A new report: the host searches it again.
    if (this.filters.text.trim().length > 0) this.startSearch();
    this.refilter(first);
  }

  private setFilters(change: Partial<QuestionFilters>): void {
    const textChanged = change.text !== undefined && change.text.trim() !== this.filters.text.trim();
    this.filters = { ...this.filters, ...change };
    if (textChanged) this.startSearch();
    this.refilter();
  }

  /** Asks the host for the questions matching the search text; the list refilters when the latest answer comes. */
  private startSearch(): void {
    const search = ++this.searches;
    const text = this.filters.text.trim();
    this.searchError = '';
    this.pendingSearch = text.length > 0;
    if (text.length === 0) {
      this.found = undefined;
      return;
    }
    this.searchHost(text).then(
      (ids) => {
        if (search !== this.searches) return;
        this.pendingSearch = false;
        this.found = new Set(ids);
        this.refilter();
      },
      (error: unknown) => {
        if (search !== this.searches) return;
        this.pendingSearch = false;
        this.found = new Set();
        this.searchError = `Search failed: ${error instanceof Error ? error.message : String(error)}`;
        this.refilter();
      },
    );
  }

  /** The filtered rows, in eval-set order. */
  rows(): readonly QuestionSummary[] {
    return this.visible;
  }

  /** The ids of the questions around one in the filtered list (the next ones first): what j/k will show. */
  neighbours(id: string, reach = 2): string[] {
    const index = this.visible.findIndex((row) => row.id === id);
    if (index < 0) return [];
    const ids: string[] = [];
    for (let step = 1; step <= reach; step++) for (const at of [index + step, index - step]) if (at >= 0 && at < this.visible.length) ids.push(this.visible[at]!.id);
    return ids;
  }

  private matches(row: QuestionSummary, searching: boolean): boolean {
    const report = this.report!;
    const { failuresOnly, disagreementsOnly, strategy, below } = this.filters;
    if (failuresOnly && (strategy ? !row.failures.includes(strategy) : row.failures.length === 0)) return false;
    if (disagreementsOnly && !row.disagreement) return false;
    if (below !== undefined) {
      const names = strategy ? [strategy] : report.strategies.map((s) => s.name);
      if (!names.some((name) => (row.answers[name]?.primary ?? Infinity) < below)) return false;
    } else if (strategy && !failuresOnly && row.answers[strategy] === undefined) return false;
    return !searching || this.found === undefined || this.found.has(row.id);
  }

  private refilter(initial = false): void {
    const report = this.report;
    if (!report) return;
    const searching = this.filters.text.trim().length > 0;
    const filtering = this.filters.failuresOnly || this.filters.disagreementsOnly || this.filters.strategy !== '' || this.filters.below !== undefined || searching;
    this.visible = filtering ? report.questions.filter((row) => this.matches(row, searching)) : report.questions;
    this.count.textContent = this.pendingSearch
      ? 'Searching…'
      : this.searchError || (filtering ? `${formatCount(this.visible.length)} of ${formatCount(report.questions.length)} questions` : `${formatCount(report.questions.length)} questions`);
    this.spacer.style.height = `${this.visible.length * questionRowHeight}px`;
    this.drawnRange = '';
    if (initial) this.draw();
    else this.drawSoon();
    const selected = this.visible.find((row) => row.id === this.selectedId);
    if (selected) this.onSelect(selected);
    else if (this.visible.length > 0 && (initial || this.selectedId === undefined || !this.visible.some((row) => row.id === this.selectedId))) this.select(this.visible[0]!.id, false);
    else if (this.visible.length === 0) {
      this.selectedId = undefined;
      this.onSelect(undefined);
    }
  }

  private drawSoon(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const report = this.report;
    if (!report) return;
    let first = 0;
    let last = this.visible.length;
    if (this.virtualize) {
      const height = this.viewport.clientHeight || 400;
      first = Math.max(0, Math.floor(this.viewport.scrollTop / questionRowHeight) - overscan);
      last = Math.min(this.visible.length, Math.ceil((this.viewport.scrollTop + height) / questionRowHeight) + overscan);
    }
    const range = `${first}:${last}:${this.selectedId ?? ''}`;
    if (range === this.drawnRange) return;
    this.drawnRange = range;
    const metric = metricInfo(report, report.primaryMetric);
    const names = report.strategies.map((row) => row.name);
    const rows: HTMLElement[] = [];
    for (let index = first; index < last; index++) {
      const question = this.visible[index]!;
      const selected = question.id === this.selectedId;
      const row = element('div', { class: 'question-row', role: 'option', id: `question-${index}`, 'data-id': question.id, 'aria-selected': String(selected) });
      row.style.top = `${index * questionRowHeight}px`;
      const chips = element('span', { class: 'chips' });
      for (const name of names) {
        const answer = question.answers[name];
        const score = answer?.primary;
        const failed = answer?.status === 'error' || answer?.status === 'stopped';
        const chip = element(
          'span',
          {
            class: 'chip',
            'data-band': failed ? 'error' : scoreBand(score, metric),
            'data-strategy': name,
            title: `${name}: ${failed ? (answer?.error?.message ?? 'failed') : formatScore(score, metric)}`,
          },
          failed ? '×' : formatScore(score, metric),
        );
        chip.dataset.fill = String(Math.round((score !== undefined ? scaled(score, metric) : 0) * 10));
        chips.append(chip);
      }
      row.append(
        element('span', { class: 'question-id' }, question.id),
        element('span', { class: 'question-text', ...(question.cut ? { 'data-cut': 'true', title: 'The question is longer: select it to read it whole' } : {}) }, question.question),
        ...(question.disagreement ? [element('span', { class: 'codicon codicon-flame disagree', title: 'The strategies disagree' })] : []),
        chips,
      );
      rows.push(row);
    }
    this.spacer.replaceChildren(...rows);
    const selectedIndex = this.visible.findIndex((row) => row.id === this.selectedId);
    if (selectedIndex >= 0) this.viewport.setAttribute('aria-activedescendant', `question-${selectedIndex}`);
    else this.viewport.removeAttribute('aria-activedescendant');
  }

  select(id: string, reveal = true): void {
    const index = this.visible.findIndex((row) => row.id === id);
    if (index < 0) return;
    this.selectedId = id;
    if (reveal) {
      const top = index * questionRowHeight;
      if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
      else if (top + questionRowHeight > this.viewport.scrollTop + this.viewport.clientHeight) this.viewport.scrollTop = top + questionRowHeight - this.viewport.clientHeight;
    }
    this.drawnRange = '';
    this.draw();
    this.onSelect(this.visible[index]);
  }

  /** j/k: the next or previous question of the filtered list. */
  move(step: 1 | -1): void {
    if (this.visible.length === 0) return;
    const index = this.visible.findIndex((row) => row.id === this.selectedId);
    const next = Math.min(this.visible.length - 1, Math.max(0, index < 0 ? 0 : index + step));
    this.select(this.visible[next]!.id);
  }
}
