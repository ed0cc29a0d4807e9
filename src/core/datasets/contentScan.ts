import { type RowPath } from './rowChecks';

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

/** Scans every string value of a row for special tokens and secrets. Paths are built only for hits. */
export function scanRowContent(row: unknown): ContentHit[] {
  const hits: ContentHit[] = [];
  const trail: (string | number)[] = [];
  const walk = (value: unknown): void => {
    // Real rows are shallow; a pathological one must not overflow the stack.
    if (trail.length > 256) return;
    if (typeof value === 'string') {
      scanString(value, () => [...trail], hits);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        trail.push(i);
        walk(value[i]);
        trail.pop();
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const key in value) {
        trail.push(key);
        walk((value as Record<string, unknown>)[key]);
        trail.pop();
      }
    }
  };
  walk(row);
  return hits;
}
