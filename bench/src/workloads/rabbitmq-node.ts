import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Debian's rabbitmq-server package puts the real scripts here; /usr/sbin's
 * wrappers switch to the rabbitmq user, whose home would hold the cookie.
 */
const BIN = '/usr/lib/rabbitmq/bin';

/** Why no private node can be started here, or null when it can. */
export function rabbitmqUnavailableReason(): string | null {
  if (!existsSync(path.join(BIN, 'rabbitmq-server'))) {
    return `rabbitmq-server is not installed (${BIN}/rabbitmq-server missing; apt-get install rabbitmq-server)`;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private RabbitMQ node for one test file or bench run, beside (never
 * touching) a machine-wide broker: its own node name, AMQP and distribution
 * ports, data and log folders, an Erlang cookie in its own HOME, and no
 * plugins (so no management port to clash). The data folder outlives
 * stop()/start(), so durable queues and persistent messages survive a
 * restart as they would on a real broker.
 */
export class RabbitMqNode {
  private process: ChildProcess | null = null;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  static async create(): Promise<RabbitMqNode> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'postbox-rabbitmq-'));
    const plugins = path.join(dir, 'enabled_plugins');
    writeFileSync(plugins, '[].\n');
    const name = `postbox-test-${process.pid}@localhost`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(await freePort()),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
      RABBITMQ_PID_FILE: path.join(dir, 'node.pid'),
      // No config file of the machine's broker: defaults only.
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    };
    return new RabbitMqNode(name, port, env, dir);
  }

  /** Starts the node and waits until it accepts AMQP connections (about 5-15 s here). */
  async start(): Promise<void> {
    const child = spawn(path.join(BIN, 'rabbitmq-server'), [], { env: this.env, stdio: 'ignore' });
    this.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`rabbitmq-server exited with ${code}; logs in ${this.dir}/log`))),
    );
    exited.catch(() => {});
    await Promise.race([this.ctl('wait', this.env.RABBITMQ_PID_FILE as string, '--timeout', '120'), exited]);
  }

  /** Stops the node (as a broker restart or crash would look to its clients) and waits for its process to end. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    const ended = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    await this.ctl('stop').catch(() => child.kill('SIGTERM'));
    await ended;
  }

  /** Stops the node and deletes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ctl(...args: string[]): Promise<void> {
    await run(path.join(BIN, 'rabbitmqctl'), ['-n', this.name, ...args], { env: this.env, timeout: 150_000 });
  }
}
