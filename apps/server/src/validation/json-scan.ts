/**
 * One pass over a request body's raw JSON text, before JSON.parse and before
 * anything walks the tree (Nest's ValidationPipe and class-transformer both
 * recurse: a body nested 10,000 deep overflowed the stack, a 500). It keeps
 * its own stack of containers, so no input can make it recurse, and reports
 * the first thing the API refuses, with the path of the field:
 *
 * - nesting deeper than `maxDepth`;
 * - NUL (\u0000) and lone UTF-16 surrogates in any string or key: Postgres
 *   text and jsonb cannot hold them;
 * - numbers JavaScript cannot hold exactly (1e400, 9007199254740993,
 *   0.1000000000000000000001): JSON.parse would silently change them;
 * - prototype keys (__proto__, constructor, prototype) outside free-form
 *   JSON (message bodies and headers): unknown fields, never silently dropped.
 *
 * Anything it does not understand is left for JSON.parse to report.
 */

export interface JsonScanRules {
  maxDepth: number;
  /** Keys whose value is the client's own JSON, stored as sent (message `body`, `headers`). */
  freeJsonKeys: ReadonlySet<string>;
}

export interface JsonScanProblem {
  /** "messages.3.body.amount"; "" for the body as a whole. */
  path: string;
  reason: string;
}

interface Frame {
  array: boolean;
  /** The current key (objects) or index (arrays). */
  at: string | number | null;
  /** Inside a message body or headers: any key is the client's data. */
  free: boolean;
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_PATH_SEGMENTS = 12;
const MAX_SEGMENT_CHARS = 64;

function pathOf(stack: readonly Frame[]): string {
  const segments = stack.filter((f) => f.at !== null).map((f) => String(f.at).slice(0, MAX_SEGMENT_CHARS));
  if (segments.length <= MAX_PATH_SEGMENTS) return segments.join('.');
  return `${segments.slice(0, MAX_PATH_SEGMENTS).join('.')}.…`;
}

/** sign, significant digits and exponent: "1.50e3" and "1500" both give "15e2". */
function canonicalDecimal(literal: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) return literal;
  const fraction = match[3] ?? '';
  let digits = (match[2] + fraction).replace(/^0+/, '');
  if (digits === '') return '0'; // -0 and 0 are the same number to JSON
  const trimmed = digits.replace(/0+$/, '');
  const exponent = BigInt(match[4] ?? 0) - BigInt(fraction.length) + BigInt(digits.length - trimmed.length);
  digits = trimmed;
  return `${match[1]}${digits}e${exponent}`;
}

/** Whether JSON.parse gives back this very number (String(Number(x)) is its shortest exact spelling). */
export function holdsExactly(literal: string): boolean {
  const value = Number(literal);
  return Number.isFinite(value) && canonicalDecimal(literal) === canonicalDecimal(String(value));
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a raw NUL is one of the things looked for
const STRING_STOP = /["\\\u0000]/g;
const WORD = /[a-z]+/y;

function isLowSurrogateEscape(text: string, at: number): boolean {
  if (text[at] !== '\\' || text[at + 1] !== 'u') return false;
  const code = Number.parseInt(text.slice(at + 2, at + 6), 16);
  return code >= 0xdc00 && code <= 0xdfff;
}

const NUL = 'must not contain NUL characters (\\u0000): Postgres text cannot hold them';
const LONE = 'must not contain lone UTF-16 surrogates: they have no UTF-8 form';

/** The end of the string token opening at `start` (its closing quote), or a problem in it. */
function scanString(text: string, start: number): number | { reason: string } {
  // Index right after a high-surrogate escape, where its low half must follow.
  let highEnd = -1;
  STRING_STOP.lastIndex = start + 1;
  for (;;) {
    const stop = STRING_STOP.exec(text);
    if (!stop) return -1; // unterminated: JSON.parse says so
    const at = stop.index;
    if (highEnd >= 0 && !(at === highEnd && isLowSurrogateEscape(text, at))) return { reason: LONE };
    const char = text[at];
    if (char === '"') return at;
    if (char === '\u0000') return { reason: NUL };
    if (text[at + 1] !== 'u') {
      STRING_STOP.lastIndex = at + 2;
      continue;
    }
    const code = Number.parseInt(text.slice(at + 2, at + 6), 16);
    if (code === 0) return { reason: NUL };
    const low = code >= 0xdc00 && code <= 0xdfff;
    if (low && highEnd < 0) return { reason: LONE };
    highEnd = code >= 0xd800 && code <= 0xdbff ? at + 6 : -1;
    STRING_STOP.lastIndex = at + 6;
  }
}

export function scanJson(text: string, rules: JsonScanRules): JsonScanProblem | null {
  const stack: Frame[] = [];
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a /* : */) {
      i++;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= rules.maxDepth) {
        return { path: '', reason: `nested deeper than ${rules.maxDepth} levels (at ${pathOf(stack)})` };
      }
      const parent = stack[stack.length - 1];
      const free =
        parent !== undefined && (parent.free || (!parent.array && rules.freeJsonKeys.has(String(parent.at))));
      stack.push({ array: c === 0x5b, at: c === 0x5b ? 0 : null, free });
      expectKey = c === 0x7b;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.at = (top.at as number) + 1;
      else expectKey = top !== undefined;
      i++;
    } else if (c === 0x22 /* " */) {
      const top = stack[stack.length - 1];
      const isKey = expectKey && top !== undefined && !top.array;
      // A bad key is reported at its object's path.
      if (isKey) top.at = null;
      const end = scanString(text, i);
      if (typeof end !== 'number') return { path: pathOf(stack), reason: end.reason };
      if (end < 0) return null;
      if (isKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return null;
        }
        top.at = key;
        if (!top.free && PROTOTYPE_KEYS.has(key)) return { path: pathOf(stack), reason: 'should not exist' };
        expectKey = false;
      }
      i = end + 1;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) return null;
      if (!holdsExactly(match[0])) {
        return {
          path: pathOf(stack),
          reason: `must be a number JSON.parse keeps exactly (${match[0].slice(0, 40)} is beyond ±2^53 or double precision): send it as a string`,
        };
      }
      i = NUMBER.lastIndex;
    } else {
      // true, false, null (or garbage, which JSON.parse reports).
      WORD.lastIndex = i;
      if (!WORD.exec(text)) return null;
      i = WORD.lastIndex;
    }
  }
  return null;
}
