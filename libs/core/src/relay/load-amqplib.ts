/**
 * The few amqplib calls the relay makes, typed here so the core's public
 * types do not need amqplib installed (it is an optional peer dependency).
 */
export interface AmqpConfirmChannel {
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Record<string, unknown>,
    callback: (error: unknown) => void,
  ): boolean;
  checkExchange(exchange: string): Promise<unknown>;
  close(): Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

export interface AmqpConnection {
  createConfirmChannel(): Promise<AmqpConfirmChannel>;
  close(): Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

export interface Amqplib {
  connect(url: string | Record<string, unknown>, socketOptions?: Record<string, unknown>): Promise<AmqpConnection>;
}

/**
 * amqplib is loaded on first use: the core stays pg + kysely only, and
 * users who never relay never install it.
 */
export async function loadAmqplib(): Promise<Amqplib> {
  try {
    const module = (await import('amqplib')) as unknown as Amqplib & { default?: Amqplib };
    return typeof module.connect === 'function' ? module : (module.default as Amqplib);
  } catch (error) {
    throw new Error(
      `The RabbitMQ relay needs the amqplib package: npm install amqplib (${(error as Error).message ?? error})`,
    );
  }
}
