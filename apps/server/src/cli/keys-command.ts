import type { Command } from 'commander';
import { KEY_SCOPES } from 'postbox';
import { list, print, report } from './output';
import { type TargetOptions, targetOptions, withTarget } from './target';

/** `postbox keys`: scoped API keys, stored hashed; the secret is printed once, at create. */
export function addKeysCommand(program: Command): void {
  const keys = program.command('keys').description('API keys: create, list, revoke');
  targetOptions(
    keys
      .command('create')
      .description('create a key; its secret is printed once and stored only hashed')
      .argument('<name>')
      .requiredOption('--scopes <list>', `comma-separated: ${KEY_SCOPES.join(', ')}`)
      .option('--names <glob>', 'limit the key to queues and topics matching this glob, e.g. "orders.*"')
      .action((name: string, options: TargetOptions & { scopes: string; names?: string }) =>
        withTarget(options, async (target) => {
          const scopes = list(options.scopes, '--scopes', KEY_SCOPES);
          const created = await target.createKey(name, scopes, options.names);
          report(options.json, created, `${created.key}\n(key "${name}": shown once, store it now)`);
        }),
      ),
  );
  targetOptions(
    keys
      .command('list')
      .description('keys with their scopes and names (no secrets)')
      .action((options: TargetOptions) =>
        withTarget(options, async (target) => {
          print(options.json, await target.listKeys(), ['name', 'scopes', 'names', 'created', 'last used'], (all) =>
            all.map((k) => [k.name, k.scopes.join(','), k.names ?? '*', k.createdAt, k.lastUsedAt ?? '—']),
          );
        }),
      ),
  );
  targetOptions(
    keys
      .command('revoke')
      .description('revoke a key: it stops working at once, in every instance')
      .argument('<name>')
      .action((name: string, options: TargetOptions) =>
        withTarget(options, async (target) => {
          await target.revokeKey(name);
          report(options.json, { revoked: name }, `revoked ${name}`);
        }),
      ),
  );
}
