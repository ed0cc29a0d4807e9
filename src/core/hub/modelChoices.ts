/** One model the picker can offer. */
export interface ModelChoice {
  id: string;
  /** Where it is: a folder the user added, the Hugging Face cache, the suggested default, or a Hub search result. */
  origin: 'local' | 'cache' | 'suggested' | 'hub';
}

/** Whether picking a model that is not on this machine can download it. */
export type HubReach = 'online' | 'offline' | 'unreachable';

export interface ChoiceSection {
  title: string;
  /** True for models that need a download the Hub cannot give now: shown marked, and never first. */
  unavailable: boolean;
  choices: ModelChoice[];
}

const readyTitles = { local: 'Local folders', cache: 'In the cache' } as const;

/**
 * Orders the picker: online, the suggested default comes first (it is the one-click start), then what is on this
 * machine, then the Hub's results. When the Hub cannot be used (offline mode, or unreachable), what is on this machine
 * comes first and everything that needs a download follows in one section marked as unavailable, so nothing at the top
 * of the list fails when picked. Empty sections are left out; a model offered twice keeps its most local place.
 */
export function arrangeModelChoices(choices: readonly ModelChoice[], reach: HubReach): ChoiceSection[] {
  const seen = new Set<string>();
  const unique = (list: ModelChoice[]): ModelChoice[] => list.filter((choice) => !seen.has(choice.id) && seen.add(choice.id));
  const of = (origin: ModelChoice['origin']): ModelChoice[] => choices.filter((choice) => choice.origin === origin);
  // Deduplicated from the most local origin outwards, so a cached suggestion is offered as cached (no download).
  const local = unique(of('local'));
  const cache = unique(of('cache'));
  const suggested = unique(of('suggested'));
  const hub = unique(of('hub'));
  const ready: ChoiceSection[] = [
    { title: readyTitles.local, unavailable: false, choices: local },
    { title: readyTitles.cache, unavailable: false, choices: cache },
  ];
  let sections: ChoiceSection[];
  if (reach === 'online') {
    sections = [{ title: 'Suggested', unavailable: false, choices: suggested }, ...ready, { title: 'Hugging Face Hub', unavailable: false, choices: hub }];
  } else {
    sections = [
      ...ready,
      { title: reach === 'offline' ? 'Needs a download (offline mode is on)' : 'Needs a download (the Hub cannot be reached)', unavailable: true, choices: [...suggested, ...hub] },
    ];
  }
  return sections.filter((section) => section.choices.length > 0);
}
