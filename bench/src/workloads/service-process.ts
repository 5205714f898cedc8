import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@postbox/server';
import { now, sleep } from '../timing';

export interface ServiceProcess {
  base: string;
  stop(): Promise<void>;
  /** The last 4,000 characters the service wrote to stderr (its warnings and errors). */
  stderr(): string;
}

/**
 * The compiled service (`npm run bench` builds first), on the bench database,
 * healthy; or why not. `env` adds to its environment (e.g. POSTBOX_API_KEY).
 */
export async function startService(
  url: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess | { skipped: string }> {
  const entry = path.resolve(__dirname, '../../../apps/server/dist/cli/main.js');
  if (!existsSync(entry)) return { skipped: `no compiled service (${entry}); run \`npm run bench\`` };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(process.execPath, [entry, 'serve'], {
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const stop = async () => {
    if (server.exitCode !== null) return;
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
  const deadline = now() + 60_000;
  for (;;) {
    if (server.exitCode !== null)
      return { skipped: `service exited (${server.exitCode}): ${stderr.trim().slice(-500)}` };
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { base, stop, stderr: () => stderr };
    if (now() > deadline) {
      await stop();
      return { skipped: 'service did not become healthy within 60 s' };
    }
    await sleep(200);
  }
}
