import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src';
import { startTestServer, type TestServer } from '../server/test-server';
import { openTestPostbox } from '../setup/test-database';
import { ROOT, readmeBlocks } from './readme-blocks';

const run = promisify(execFile);

/**
 * README.md's code blocks, run as written. The TypeScript blocks run in a
 * fresh project against the packed packages (test/packaging/packages.spec.ts);
 * here: the curl tours against a real service, the SQL against a real
 * database, and every block that only illustrates must name the test that
 * exercises the same code.
 */
describe('README.md code blocks', () => {
  const blocks = readmeBlocks();
  let postbox: Postbox;
  let client: pg.Client;
  let server: TestServer;

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
  });
  afterAll(async () => {
    await server.close();
  });

  it('every block is run by a test or names the test that covers it', () => {
    const kinds = new Set([
      'shell-service',
      'sql',
      'core-script',
      'typeorm-script',
      'nest-file',
      'covered',
      'output',
      'layout',
    ]);
    for (const block of blocks) {
      expect([block.line, kinds.has(block.kind)]).toEqual([block.line, true]);
      if (block.kind === 'covered' || block.kind === 'output') {
        expect([block.line, block.arg, existsSync(path.join(ROOT, block.arg))]).toEqual([block.line, block.arg, true]);
      }
    }
    expect(blocks.filter((b) => b.kind === 'core-script').length).toBeGreaterThanOrEqual(2);
    expect(blocks.filter((b) => b.kind === 'nest-file').length).toBeGreaterThanOrEqual(1);
  });

  it('the layout names folders that exist', () => {
    for (const block of blocks.filter((b) => b.kind === 'layout')) {
      for (const line of block.code.trim().split('\n')) {
        const folder = line.split(/\s+/)[0] as string;
        expect([folder, existsSync(path.join(ROOT, folder))]).toEqual([folder, true]);
      }
    }
  });

  for (const name of ['tour', 'bad-input']) {
    it(`the curl block "${name}" runs against the service and prints what the README shows`, async () => {
      const block = blocks.find((b) => b.kind === 'shell-service' && b.arg === name);
      expect(block, `a shell-service block named ${name}`).toBeDefined();
      const host = new URL(server.url).host;
      const script = `set -euo pipefail\n${(block?.code as string).replaceAll('localhost:3000', host)}`;
      const { stdout } = await run('bash', ['-c', script], { cwd: ROOT });
      expect(stdout).not.toMatch(/"statusCode":5\d\d/);
      // Each answer the README shows (a `# {…}` comment without an ellipsis) is in the output.
      for (const shown of (block?.code as string).matchAll(/^# (\{.*\})$/gm)) {
        if (!(shown[1] as string).includes('…')) expect(stdout).toContain(shown[1]);
      }
    });
  }

  it('the SQL blocks run in psql terms against a real database', async () => {
    for (const block of blocks.filter((b) => b.kind === 'sql')) {
      await client.query(block.code);
    }
    const { rows } = await client.query("select count(*)::int as n from postbox.messages where queue = 'emails'");
    expect(rows[0].n).toBeGreaterThanOrEqual(0);
  });
});
