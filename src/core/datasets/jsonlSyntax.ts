import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { iterateLines, type TextRange } from '../text/lineIndex';

/** A JSON Lines row that is not valid JSON, located at the first character the parser rejected. */
export interface JsonlSyntaxError {
  code: 'invalid-json';
  message: string;
  range: TextRange;
}

const readableParseErrors: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the property name",
  CommaExpected: "expected ',' between items",
  CloseBraceExpected: "expected '}' to close the object",
  CloseBracketExpected: "expected ']' to close the array",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'control character inside a string (escape it)',
};

/**
 * Locates the first syntax error in one line of JSON, or returns undefined when the line is valid JSON.
 * `JSON.parse` decides validity (it is fast and exact); the tolerant jsonc scanner only runs on failures, to say where.
 */
export function findJsonSyntaxError(line: string): { column: number; length: number; message: string } | undefined {
  try {
    JSON.parse(line);
    return undefined;
  } catch {
    // The locating parser recurses: past the nesting limit it is not asked, at any depth, so the class gets one answer.
    if (nestsDeeperThan(line, maxNestingDepth)) return { column: 0, length: 1, message: `invalid JSON nested deeper than ${maxNestingDepth} levels (not located)` };
    const errors: ParseError[] = [];
    try {
      parse(line, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
    } catch {
      return { column: 0, length: Math.min(line.length, 1), message: 'invalid JSON (too deeply nested to locate)' };
    }
    const first = errors[0];
    if (!first) {
      // jsonc accepts a few things JSON.parse does not (e.g. trailing commas are checked by the option above, but
      // lone surrogates or huge numbers are not errors to it); point at the start of the line then.
      return { column: 0, length: Math.min(line.length, 1), message: 'invalid JSON' };
    }
    const codeName = printParseErrorCode(first.error);
    const what = readableParseErrors[codeName] ?? codeName;
    return { column: first.offset, length: Math.max(1, first.length), message: what };
  }
}

/** Every non-blank line of a JSON Lines text that does not parse, with its exact line and column. */
export function findJsonlSyntaxErrors(text: string): JsonlSyntaxError[] {
  const errors: JsonlSyntaxError[] = [];
  for (const line of iterateLines(text)) {
    const content = line.index === 0 && line.text.charCodeAt(0) === 0xfeff ? line.text.slice(1) : line.text;
    const shift = line.text.length - content.length;
    if (content.trim() === '') continue;
    const error = findJsonSyntaxError(content);
    if (!error) continue;
    const column = error.column + shift;
    errors.push({
      code: 'invalid-json',
      message: `Line ${line.index + 1}, column ${column + 1}: invalid JSON, ${error.message}. Each line of a JSON Lines file must be one complete JSON value.`,
      range: {
        start: { line: line.index, character: column },
        end: { line: line.index, character: Math.min(line.text.length, column + error.length) },
      },
    });
  }
  return errors;
}

/**
 * The deepest nesting a row may have. Python's `json` module, which the OpenAI cookbook's checker and line-by-line
 * loaders call, raises RecursionError a little under 1,000 levels on CPython 3.11 (measured: 994 at the top of the
 * stack; each frame of the loader's own lowers it; 9,994 on 3.12); real rows, tool schemas included, are a few tens
 * of levels at most. See docs/dataset-checks.md.
 */
export const maxNestingDepth = 512;

/**
 * Whether a line of valid JSON nests arrays and objects deeper than `limit`. Native searches count the openers first:
 * a line with no more than `limit` of them (every real row) is answered without a walk.
 */
export function nestsDeeperThan(line: string, limit: number): boolean {
  let openers = 0;
  for (const opener of ['{', '[']) {
    for (let at = line.indexOf(opener); at >= 0 && openers <= limit; at = line.indexOf(opener, at + 1)) openers++;
  }
  if (openers <= limit) return false;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string, escapes included.
      for (i++; i < line.length; i++) {
        const s = line.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
