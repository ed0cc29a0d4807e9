/**
 * File names in line-oriented output (`file:line:col`, `file:start-end`, `kind: path: reason`), and names that do not
 * decode.
 *
 * A POSIX file name may hold any byte but `/` and NUL: a newline in one would split its output line in two, and a
 * terminal escape would be obeyed. Names are written the way `ls --quoting-style=escape` writes them: a backslash
 * doubled, `\n`, `\r`, `\t`, and other control characters (C0, DEL, C1) and the invisible line and direction
 * controls as `\xHH` or `\u{HHHH}`. Every other character, spaces included, is left alone, so ordinary names print
 * unchanged and editors still find `file:line`. On Windows the backslash is the path separator and cannot be part of
 * a name, so it is left alone there.
 */

/** Control characters and the invisible characters that reorder or break lines when printed. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const needsEscape = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const shortEscapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The name as one safe line: control characters escaped, and backslashes doubled where they can be in a name. */
export function escapeFileName(name: string, platform: NodeJS.Platform = process.platform): string {
  const backslashesEscaped = platform === 'win32' ? name : name.replace(/\\/g, '\\\\');
  return escapeControlCharacters(backslashesEscaped);
}

/** Prose (a message, a reason) as one line: control characters escaped as in file names, backslashes kept. */
export function escapeControlCharacters(text: string): string {
  return text.replace(needsEscape, (character) => {
    const short = shortEscapes[character];
    if (short) return short;
    const code = character.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * Node decodes file names (from `readdir`, or from the command line) as UTF-8, putting U+FFFD where bytes do not
 * decode; that string names no file, so opening it fails with ENOENT. A name with U+FFFD whose lookup failed with
 * ENOENT or ENOTDIR is such a name (a file really named with U+FFFD would have been found).
 */
export function isUndecodableFileName(name: string, error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return name.includes('\ufffd') && (code === 'ENOENT' || code === 'ENOTDIR');
}

export const undecodableFileNameReason = 'the file name is not valid UTF-8 (shown with � where bytes do not decode), so it cannot be opened by this name: rename it';

/** The reason a file named `name` could not be opened, naming an undecodable name as such instead of "no such file". */
export function describeFileNameError(name: string, error: unknown): string {
  if (isUndecodableFileName(name, error)) return undecodableFileNameReason;
  return escapeControlCharacters(error instanceof Error ? error.message : String(error));
}
