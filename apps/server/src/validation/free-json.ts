/**
 * Message fields that hold the client's own JSON: stored exactly as sent,
 * prototype keys included. class-transformer must never walk them: it copies
 * objects key by key (assigning `__proto__` sets a prototype instead of a
 * key) and reads `value.constructor` as a class, so a body holding
 * `{"constructor": {...}}` threw a TypeError (a 500).
 */
export const FREE_JSON_KEYS: ReadonlySet<string> = new Set(['body', 'headers']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A stand-in that passes or fails the DTO's checks exactly as the value
 * would, with nothing to walk: a body is only required to be present;
 * headers must be an object of strings (same values under harmless keys).
 */
function standInFor(key: string, value: unknown): unknown {
  if (key === 'body') return true;
  if (!isPlainObject(value)) return typeof value === 'object' && value !== null ? 'not an object' : value;
  return Object.fromEntries(Object.values(value).map((v, i) => [`h${i}`, typeof v === 'object' ? 0 : v]));
}

interface Detached {
  target: Record<string, unknown>;
  originals: Map<string, unknown>;
}

function detachOne(message: Record<string, unknown>): Detached {
  const target: Record<string, unknown> = { ...message };
  const originals = new Map<string, unknown>();
  for (const key of FREE_JSON_KEYS) {
    if (!Object.hasOwn(message, key) || message[key] === undefined) continue;
    originals.set(key, message[key]);
    target[key] = standInFor(key, message[key]);
  }
  return { target, originals };
}

/**
 * A copy of a request body whose message bodies and headers (at the top,
 * and in each element of `messages`) are stand-ins, and a function that puts
 * the originals back on the validated DTO, at the same places.
 */
export function detachFreeJson(body: Record<string, unknown>): {
  standIn: Record<string, unknown>;
  restore: (dto: unknown) => void;
} {
  const top = detachOne(body);
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m) => (isPlainObject(m) ? detachOne(m) : null))
    : null;
  if (messages) top.target.messages = messages.map((d, i) => (d ? d.target : (body.messages as unknown[])[i]));
  const put = (dto: unknown, originals: Map<string, unknown>) => {
    if (!isPlainObject(dto)) return;
    for (const [key, value] of originals) dto[key] = value;
  };
  return {
    standIn: top.target,
    restore(dto) {
      put(dto, top.originals);
      const list = isPlainObject(dto) ? dto.messages : undefined;
      if (!messages || !Array.isArray(list)) return;
      messages.forEach((d, i) => {
        if (d) put(list[i], d.originals);
      });
    },
  };
}
