import http from 'node:http';

/** One route as Express holds it: `GET /v1/queues/:queue`. */
export interface AppRoute {
  method: string;
  path: string;
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route the app serves, read from Express's router: a route added later is tried too. */
// biome-ignore lint/suspicious/noExplicitAny: Express 5 ships no types; only router.stack is read
export function appRoutes(expressApp: any): AppRoute[] {
  const routes: AppRoute[] = [];
  for (const layer of expressApp.router.stack as ExpressLayer[]) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}

const PARAM_VALUES: Record<string, string> = { queue: 'q1', topic: 't1', group: 'g1', id: '1', name: 'k1' };

/** `/v1/queues/:queue` → `/v1/queues/q1`. */
export function concretePath(pattern: string): string {
  return pattern.replace(/:([A-Za-z_]+)/g, (_, param: string) => PARAM_VALUES[param] ?? 'x1');
}

const hex = (c: string, upper: boolean) => {
  const code = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? code.toUpperCase() : code}`;
};

/** A tiny seeded PRNG (mulberry32): the same spellings on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * At least `min` other spellings of one path, as an attacker would write them
 * to slip past a guard that reads the raw path: case, doubled and trailing
 * slashes, dot segments, percent-encoding (single, whole segment, of the
 * slash, double), matrix parameters, backslashes, query/fragment suffixes,
 * absolute-form targets, and random mixes of these.
 */
export function spellings(path: string, origin: string, min = 120): string[] {
  const segments = path.split('/').slice(1);
  const join = (parts: string[], sep = '/') => `/${parts.join(sep)}`;
  const out = new Set<string>([path]);
  const add = (p: string) => out.add(p);

  add(path.toUpperCase());
  add(join(segments.map((s) => s.charAt(0).toUpperCase() + s.slice(1))));
  add(join(segments.map((s) => [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''))));
  for (const [i, segment] of segments.entries()) {
    add(join(segments.map((s, j) => (i === j ? s.toUpperCase() : s))));
    add(join(segments.map((s, j) => (i === j ? [...s].map((c) => hex(c, false)).join('') : s))));
    add(join(segments.map((s, j) => (i === j ? [...s].map((c) => hex(c, true)).join('') : s))));
    add(join(segments.map((s, j) => (i === j ? `${s};a=b` : s))));
    add(join(segments.map((s, j) => (i === j ? `${s}/.` : s))));
    add(join(segments.map((s, j) => (i === j ? `${s}/x/..` : s))));
    add(join(segments.map((s, j) => (i === j ? `./${s}` : s))));
    add(join(segments.map((s, j) => (i === j ? `/${s}` : s))));
    add(join(segments.map((s, j) => (i === j ? `${s}%2e` : s))));
    add(join(segments.map((s, j) => (i === j ? `${s}%20` : s))));
    add(join(segments.map((s, j) => (i === j ? `${s}%00` : s))));
    add(join(segments.map((s, j) => (i === j ? `${s}%09` : s))));
    add(join(segments.map((s, j) => (i === j ? [...s].map((c) => `%25${hex(c, false).slice(1)}`).join('') : s))));
    for (const [k, c] of [...segment].entries()) {
      add(join(segments.map((s, j) => (i === j ? s.slice(0, k) + hex(c, k % 2 === 0) + s.slice(k + 1) : s))));
    }
  }
  for (let i = 1; i < segments.length; i++) {
    for (const sep of ['//', '%2F', '%2f', '\\', '/./', '/%2e/', '/%2E%2E/x/']) {
      add(`/${segments.slice(0, i).join('/')}${sep}${segments.slice(i).join('/')}`);
    }
  }
  for (const prefix of ['/', '//', '/./', '/%2e/', '\\', '/v1/../', '/x/../']) add(prefix + path.slice(1));
  for (const suffix of ['/', '//', '/.', '/./', '?', '?x=1', '#', '#x', '%23', '%3F', ';', '.', '%2F', '/%2e']) {
    add(path + suffix);
  }
  add(join(segments, '//'));
  add(join(segments, '\\'));
  add(path.replace('/v1', '/%76%31'));
  add(path.replace('/v1', '/%56%31'));
  add(path.replace('/v1', '/%EF%BD%96%EF%BC%91'));
  add(path.replace('/v1', '/V1').toUpperCase());
  add(`${origin}${path}`);
  add(`${origin}${path.toUpperCase()}`);
  add(`${origin}//${path.slice(1)}`);
  add(`//${path.toUpperCase().slice(1)}/`);

  const next = random(path.length * 7919);
  const mutate = (p: string): string => {
    const r = next();
    if (r < 0.3) {
      return [...p].map((c) => (next() < 0.5 ? c.toUpperCase() : c)).join('');
    }
    if (r < 0.5) {
      const at = p.indexOf('/', 1 + Math.floor(next() * (p.length - 1)));
      return at < 0 ? `${p}/` : `${p.slice(0, at)}/${p.slice(at)}`;
    }
    if (r < 0.75) {
      const i = 1 + Math.floor(next() * (p.length - 1));
      const c = p.charAt(i);
      return /[a-z0-9]/i.test(c) ? p.slice(0, i) + hex(c, next() < 0.5) + p.slice(i + 1) : p;
    }
    return `${p}/`;
  };
  // Mixes of the spellings above (a random one mutated again), so a short path gets as many as a long one.
  for (let tries = 0; out.size < min + 1 && tries < 100_000; tries++) {
    const bases = [...out];
    add(mutate(mutate(bases[Math.floor(next() * bases.length)] as string)));
  }
  out.delete(path);
  return [...out];
}

export interface RawAnswer {
  status: number;
  body: string;
}

/** A request with its target sent byte for byte (fetch would normalise `/./`, `\` and case of the origin). */
export function rawRequest(
  agent: http.Agent,
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: target, agent, headers: { 'content-length': '0', ...headers } },
      (res) => {
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          // An event stream never ends: its status is the decision; hang up.
          resolve({ status: res.statusCode ?? 0, body: '' });
          res.destroy();
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inPool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}
