import { InvalidInputError } from '../errors';

/**
 * Postgres text and jsonb cannot hold U+0000 ("invalid byte sequence" /
 * "unsupported Unicode escape sequence"), and a lone UTF-16 surrogate has no
 * UTF-8 form: either would fail the whole statement (and, in a group commit,
 * its neighbours' first try). Both are refused here, naming the field,
 * before any statement runs.
 */
// With the u flag pairs are read as one code point, so \p{Cs} matches only a lone half.
const LONE_SURROGATE = /\p{Cs}/u;

export function assertPostgresText(value: string, field: string): void {
  if (value.includes('\u0000')) throw new InvalidInputError(field, 'must not contain NUL characters (\\u0000)');
  if (LONE_SURROGATE.test(value)) throw new InvalidInputError(field, 'must not contain lone UTF-16 surrogates');
}

// In JSON.stringify's output a NUL is always the escape \u0000 and a lone
// surrogate always an escape \ud800-\udfff (well-formed stringify, ES2019);
// pairs are written as themselves. Only escapes preceded by an even number of
// backslashes are real (an odd number means the backslash itself was escaped).
const BAD_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** The same rule for a value already serialized with JSON.stringify (a message body or its headers). */
export function assertPostgresJson(serialized: string, field: string): void {
  const match = BAD_ESCAPE.exec(serialized);
  if (!match) return;
  const nul = match[0].toLowerCase().endsWith('u0000');
  throw new InvalidInputError(
    field,
    nul ? 'must not contain NUL characters (\\u0000)' : 'must not contain lone UTF-16 surrogates',
  );
}
