import { type RowPath } from './rowProblems';

/**
 * Literal special tokens of common chat templates. A trainer's template adds its own; one typed into the data
 * either breaks the template or is tokenized as plain text, teaching the model to print it.
 */
const specialTokenPattern = /<\|[a-z_]{2,30}\|>|<\/s>|<s>|\[\/?INST\]|<<\/?SYS>>|<(?:start|end)_of_turn>|<(?:bos|eos|pad|unk)>/;

/** Credentials people paste into data by accident. Each has a distinctive shape, to keep false alarms rare. */
const secretPatterns: { name: string; pattern: RegExp }[] = [
  { name: 'a private key', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----/ },
  { name: 'an OpenAI API key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}/ },
  { name: 'an Anthropic API key', pattern: /\bsk-ant-[A-Za-z0-9_-]{32,}/ },
  { name: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/ },
  { name: 'a Hugging Face token', pattern: /\bhf_[A-Za-z]{34,}\b/ },
  { name: 'a Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { name: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'a Stripe secret key', pattern: /\b[sr]k_live_[0-9A-Za-z]{24,}/ },
];
/** One cheap pre-filter for all secret shapes; the precise patterns run only on a hit. */
const secretPrefilter = /-----BEGIN|sk-|AKIA|ASIA|gh[pousr]_|github_pat_|hf_|xox[abprs]-|AIza|_live_/;

export interface ContentHit {
  kind: 'special-token' | 'possible-secret';
  /** The token, or the kind of secret. */
  what: string;
  path: RowPath;
}

function scanString(text: string, path: () => RowPath, hits: ContentHit[]): void {
  const token = specialTokenPattern.exec(text);
  if (token) hits.push({ kind: 'special-token', what: token[0], path: path() });
  if (secretPrefilter.test(text)) {
    for (const { name, pattern } of secretPatterns) {
      if (pattern.test(text)) {
        hits.push({ kind: 'possible-secret', what: name, path: path() });
        break;
      }
    }
  }
}

/**
 * A cheap test of a line's raw text: can it hold a special token or a secret? Each needle is a fragment every special
 * token or secret shape contains; the precise per-string walk runs only on a hit. Native `indexOf` scans, measured
 * about half the cost of one regex with these alternatives (which itself costs a fraction of the precise patterns).
 */
export const specialContentNeedles: readonly string[] = ['<', '_', 'k-', 'KIA', 'SIA', 'Iza', 'xox', '-----', 'INST]'];

export function mayHoldSpecialContent(line: string): boolean {
  for (const needle of specialContentNeedles) if (line.indexOf(needle) >= 0) return true;
  return false;
}

/** A list or object being walked: its entries and the next one to visit. */
interface WalkFrame {
  container: unknown[] | Record<string, unknown>;
  keys: string[] | undefined;
  next: number;
}

function frameOf(value: unknown): WalkFrame | undefined {
  if (Array.isArray(value)) return { container: value, keys: undefined, next: 0 };
  if (typeof value === 'object' && value !== null) return { container: value as Record<string, unknown>, keys: Object.keys(value), next: 0 };
  return undefined;
}

/**
 * Scans every string value of a row for special tokens and secrets, at any depth: the walk keeps its own stack, so a
 * secret a thousand levels down is found like one at the top. Paths are built only for hits.
 */
export function scanRowContent(row: unknown): ContentHit[] {
  const hits: ContentHit[] = [];
  const path = (): RowPath => [...trail];
  const trail: (string | number)[] = [];
  if (typeof row === 'string') {
    scanString(row, path, hits);
    return hits;
  }
  const root = frameOf(row);
  if (!root) return hits;
  // trail holds the key of every frame but the root.
  const frames: WalkFrame[] = [root];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    const size = frame.keys ? frame.keys.length : (frame.container as unknown[]).length;
    if (frame.next >= size) {
      frames.pop();
      trail.pop();
      continue;
    }
    const key: string | number = frame.keys ? frame.keys[frame.next]! : frame.next;
    frame.next++;
    const child = (frame.container as Record<string | number, unknown>)[key];
    trail.push(key);
    if (typeof child === 'string') {
      scanString(child, path, hits);
      trail.pop();
      continue;
    }
    const inner = frameOf(child);
    if (inner) frames.push(inner);
    else trail.pop();
  }
  return hits;
}
