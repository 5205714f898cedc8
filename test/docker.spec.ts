import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * There is no Docker engine on our machines, so docker/ is kept honest by
 * reading it: the image starts what `npm start` starts, and every variable
 * the compose file or the image sets is one the service reads and the README
 * documents.
 */
const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('docker/', () => {
  const compose = parse(read('docker/compose.yaml'));
  const dockerfile = read('docker/Dockerfile');
  const readme = read('README.md');
  const config = read('apps/server/src/config.ts');
  const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));

  it('starts the same entry point as npm start', () => {
    const start = JSON.parse(read('package.json')).scripts.start as string;
    const entry = /&& (node .+)$/.exec(start)?.[1]?.split(' ');
    expect(entry).toEqual(['node', 'apps/server/dist/cli/main.js', 'serve']);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd as string)).toEqual(entry);
    expect(compose.services.postbox.command).toEqual(entry);
  });

  it('ships the migrations the service applies at start', () => {
    expect(dockerfile).toMatch(/^COPY migrations \.\/migrations$/m);
  });

  it('sets only variables the service reads and the README documents', () => {
    const composeEnv = Object.keys(compose.services.postbox.environment);
    const imageEnv = [...dockerfile.matchAll(/^\s*(?:ENV )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
    const service = [...composeEnv, ...imageEnv].filter((name) => name !== 'NODE_ENV');
    expect(service.length).toBeGreaterThan(3);
    for (const name of service) {
      expect(config, `${name} read by apps/server/src/config.ts`).toContain(`'${name}'`);
      expect(documented.has(name), `${name} in the README configuration table`).toBe(true);
    }
  });

  it('points the service at the compose PostgreSQL and waits for it', () => {
    const pg = compose.services.postgres.environment;
    const url = new URL(compose.services.postbox.environment.DATABASE_URL);
    expect(url.hostname).toBe('postgres');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(compose.services.postbox.depends_on.postgres.condition).toBe('service_healthy');
    const port = compose.services.postbox.environment.PORT;
    expect(compose.services.postbox.ports).toContain(`${port}:${port}`);
  });

  it('documents every variable the service reads', () => {
    const read = [...config.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1] as string);
    expect(read.length).toBeGreaterThan(5);
    for (const name of read) expect(documented.has(name), `${name} documented`).toBe(true);
  });
});
