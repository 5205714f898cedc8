import { ConflictError, type Postbox, type Schedule, type ScheduleInput } from 'postbox';

/** A recurring schedule the module creates at start-up (after the declared queues and topics). */
export interface ScheduleDeclaration extends ScheduleInput {
  name: string;
}

/**
 * Creates the schedule if it is missing. As with queues, a schedule that
 * exists with OTHER settings is a ConflictError naming the declaration: change
 * it deliberately (delete it, or give it a new name). Every replica declares
 * it; the ticks are still sent once each (the core's tick runner, in every
 * Postbox's maintenance, enqueues each tick exactly once).
 */
export async function ensureSchedule(postbox: Postbox, { name, ...input }: ScheduleDeclaration): Promise<Schedule> {
  try {
    return (await postbox.createSchedule(name, input)).schedule;
  } catch (error) {
    if (error instanceof ConflictError) throw new ConflictError(`ensureSchedule("${name}"): ${error.message}`);
    throw error;
  }
}
