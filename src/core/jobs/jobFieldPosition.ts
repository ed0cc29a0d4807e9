import { isMap, isPair, isScalar, LineCounter, parseDocument, type Node as YamlNode, type Scalar } from 'yaml';

/** A place in a job file: 0-based line and character range on one line, as editors count. */
export interface FieldPosition {
  line: number;
  startCharacter: number;
  endCharacter: number;
}

/**
 * Where a dotted field (`method.lora.r`) is written in a job file's text (YAML, or JSON, which YAML reads too): the
 * key of the deepest part present, so a finding about `training.learning_rate` lands on `training:` when the file
 * relies on the default. Undefined when the text does not parse or not even the first part is there.
 */
export function fieldPosition(text: string, field: string): FieldPosition | undefined {
  const lineCounter = new LineCounter();
  let node: YamlNode | null | undefined;
  try {
    const document = parseDocument(text, { lineCounter, keepSourceTokens: false });
    node = document.contents;
  } catch {
    return undefined;
  }
  let found: Scalar | undefined;
  for (const part of field.split('.')) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === part);
    if (!pair || !isScalar(pair.key) || !pair.key.range) break;
    found = pair.key;
    node = pair.value as YamlNode | null;
  }
  if (!found?.range) return undefined;
  const start = lineCounter.linePos(found.range[0]);
  const end = lineCounter.linePos(found.range[1]);
  // A key is on one line; a multi-line one (a YAML complex key) is underlined to the end of its first line's text.
  const keyText = typeof found.value === 'string' || typeof found.value === 'number' ? String(found.value) : '';
  return { line: start.line - 1, startCharacter: start.col - 1, endCharacter: end.line === start.line ? end.col - 1 : start.col - 1 + keyText.length };
}
