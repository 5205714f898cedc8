import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

const ROOT = path.resolve(__dirname, '../..');

/**
 * README.md shows readme-example.ts verbatim (only the import path
 * differs); this runs it, and fails when the two drift apart.
 */
describe('README.md: "Use it from NestJS"', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  const previousUrl = process.env.DATABASE_URL;
  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
    process.env.DATABASE_URL = db.url;
  });
  afterAll(() => {
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
  });

  it('the documented code is the code this test runs', () => {
    const doc = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const code = readFileSync(path.join(__dirname, 'readme-example.ts'), 'utf8')
      .replace("from '../../libs/nestjs/src'", "from '@postbox/nestjs'")
      .trim();
    expect(doc).toContain(code);
  });

  it('runs: a signup commits the user and the message together, and the handler sends once', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it from NestJS'));
    const docTables = section.match(/```sql\n([\s\S]*?)```/);
    expect(docTables).not.toBeNull();
    await sql.query((docTables as RegExpMatchArray)[1] as string);

    // Imported only now: forRoot reads DATABASE_URL when the module is defined.
    const { AppModule, SignupService } = await import('./readme-example.js');
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
    try {
      const signups = app.get(SignupService);
      const userId = await signups.signUp('ada@example.com');
      // A second signup with the same email fails on the unique constraint: no user, no message.
      await expect(signups.signUp('ada@example.com')).rejects.toThrow(/duplicate key/);
      await until(async () => (await sql.query('select count(*)::int as n from sent_emails')).rows[0].n === 1, {
        what: 'welcome email sent',
      });
      const { rows } = await sql.query('select user_id::text from sent_emails');
      expect(rows).toEqual([{ user_id: userId }]);
      const { rows: queued } = await sql.query(
        "select count(*)::int as n from postbox.messages where queue = 'welcome-emails'",
      );
      expect(queued[0].n).toBe(0);
    } finally {
      await app.close();
    }
  });
});
