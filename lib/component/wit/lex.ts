import { InvalidComponentError } from '../../errors.js';

/** A WIT token. `escaped` marks a `%name` identifier, which is never a keyword. */
export type Token =
  | { t: 'id'; v: string; escaped: boolean; pos: number }
  | { t: 'num'; v: string; pos: number }
  | { t: 'punct'; v: string; pos: number }
  | { t: 'eof'; v: ''; pos: number };

// A semver (`0.2.0-rc.1+build`) or plain integer (`list<u8, 4>`); pre-release parts never contain
// `.` followed by `{`, so `@0.1.0.{x}` in a `use` splits correctly.
const NUMBER = /\d+(?:\.\d+\.\d+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?/y;
const IDENT = /%?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*/y;

/** Splits WIT source into tokens, dropping whitespace and (doc) comments, including nested block comments. */
export function lexWit(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) { i++; continue; }
    if (src.startsWith('//', i)) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl + 1;
      continue;
    }
    if (src.startsWith('/*', i)) { i = skipBlockComment(src, i); continue; }
    if (src.startsWith('->', i)) { out.push({ t: 'punct', v: '->', pos: i }); i += 2; continue; }
    if (c >= 48 && c <= 57) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src)!;
      out.push({ t: 'num', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(src);
    if (m) {
      const escaped = m[0].startsWith('%');
      out.push({ t: 'id', v: escaped ? m[0].slice(1) : m[0], escaped, pos: i });
      i += m[0].length;
      continue;
    }
    if ('{}()<>,:;.=/@*_'.includes(src[i]!)) { out.push({ t: 'punct', v: src[i]!, pos: i }); i++; continue; }
    throw new InvalidComponentError(`WIT: unexpected character ${JSON.stringify(src[i])} at ${where(src, i)}`);
  }
  out.push({ t: 'eof', v: '', pos: src.length });
  return out;
}

function skipBlockComment(src: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < src.length) {
    if (src.startsWith('/*', i)) { depth++; i += 2; continue; }
    if (src.startsWith('*/', i)) { depth--; i += 2; if (depth === 0) return i; continue; }
    i++;
  }
  throw new InvalidComponentError(`WIT: unterminated block comment at ${where(src, start)}`);
}

/** `line:column` of an offset, for parse errors. */
export function where(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const line = before.split('\n').length;
  return `${line}:${pos - before.lastIndexOf('\n')}`;
}
