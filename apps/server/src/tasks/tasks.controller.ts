import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { PostboxError } from 'postbox';
import type { NameSource } from '../auth/name-sources';
import { NamedResourceRoute } from '../auth/named-resource-route.decorator';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { TaskParams, TaskView, toTaskView } from './task-view';

/** A task's source and destination; an unknown or malformed id checks nothing (the handler answers 404/400). */
const storedTaskNames: NameSource = async (req, postbox) => {
  try {
    const task = await postbox.getTask(req.params.id ?? '');
    return task.destination === null ? [task.source] : [task.source, task.destination];
  } catch (error) {
    if (error instanceof PostboxError) return [];
    throw error;
  }
};

/** Progress of long-running operations (POST /v1/queues/:queue/move answers with a taskId). */
@ApiTags('tasks')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('v1/tasks')
export class TasksController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Get(':id')
  @NamedResourceRoute('read', {
    names: storedTaskNames,
    answer: { type: TaskView, description: '{state, moved, total, …}' },
  })
  async get(@Param() { id }: TaskParams): Promise<TaskView> {
    return toTaskView(await this.postbox.getTask(id));
  }
}
