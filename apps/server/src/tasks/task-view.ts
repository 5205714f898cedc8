import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { TASK_STATES, type TaskInfo, type TaskState } from 'postbox';

/** The `:id` path parameter of /v1/tasks/:id. */
export class TaskParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a task id (a UUID)' })
  id!: string;
}

export class TaskView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['move'] }) kind!: 'move';
  @ApiProperty({ enum: TASK_STATES }) state!: TaskState;
  @ApiProperty({ description: 'Messages moved so far' }) moved!: number;
  @ApiProperty({ description: 'Messages movable when the task started' }) total!: number;
  @ApiProperty() source!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: back to the queue each came from' })
  destination!: string | null;
  @ApiProperty({ type: Number, nullable: true }) maxPerSecond!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'The last error a batch hit (it is retried)' })
  lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export function toTaskView(task: TaskInfo): TaskView {
  return {
    id: task.id,
    kind: task.kind,
    state: task.state,
    moved: task.moved,
    total: task.total,
    source: task.source,
    destination: task.destination,
    maxPerSecond: task.maxPerSecond,
    lastError: task.lastError,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    finishedAt: task.finishedAt?.toISOString() ?? null,
  };
}
