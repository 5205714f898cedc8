import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { PostboxError, ScheduleNotFoundError } from 'postbox';
import { everyName, type NameSource, preparedTarget } from '../auth/name-sources';
import { NamedResourceRoute } from '../auth/named-resource-route.decorator';
import { RequiresScope } from '../auth/requires-scope.decorator';
import type { HttpResponse } from '../http-types';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { CreateScheduleDto, ScheduleParams } from './dto/create-schedule.dto';
import { ScheduleView, toScheduleView } from './dto/schedule-view';

/** /v1/schedules/:name…: the queue or topic the stored schedule sends to (unknown name: the handler's 404). */
const storedScheduleTarget: NameSource = async (req, postbox) => {
  try {
    const schedule = await postbox.getSchedule(req.params.name ?? '');
    return [schedule.queue ?? schedule.topic ?? ''];
  } catch (error) {
    if (error instanceof PostboxError) return [];
    throw error;
  }
};

/** Recurring messages (API.md "Schedules"); the tick runner is the core's, inside every Postbox's maintenance. */
@ApiTags('schedules')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('v1/schedules')
export class SchedulesController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Post()
  @ApiCreatedResponse({ type: ScheduleView, description: 'Created, with nextAt' })
  @ApiOkResponse({ type: ScheduleView, description: 'Already existed with the same settings' })
  @ApiConflictResponse({ description: 'Already exists with other settings' })
  @ApiNotFoundResponse({ description: 'Unknown queue or topic' })
  // The queue or topic named in the body (the same fields a half message names).
  @RequiresScope('admin', preparedTarget)
  async create(@Body() dto: CreateScheduleDto, @Res({ passthrough: true }) res: HttpResponse): Promise<ScheduleView> {
    const { name, ...input } = dto;
    const { schedule, created } = await this.postbox.createSchedule(name, input);
    if (!created) res.status(200);
    return toScheduleView(schedule);
  }

  @Get()
  @ApiOkResponse({ type: ScheduleView, isArray: true })
  // Schedules are named apart from their queues: a names-limited key cannot list them all.
  @RequiresScope('read', everyName)
  async list(): Promise<ScheduleView[]> {
    return (await this.postbox.listSchedules()).map(toScheduleView);
  }

  @Get(':name')
  @NamedResourceRoute('read', { names: storedScheduleTarget, answer: { type: ScheduleView } })
  async get(@Param() { name }: ScheduleParams): Promise<ScheduleView> {
    return toScheduleView(await this.postbox.getSchedule(name));
  }

  @Post(':name/pause')
  @HttpCode(200)
  @NamedResourceRoute('admin', {
    names: storedScheduleTarget,
    answer: { type: ScheduleView, description: 'No tick is sent until resumed' },
  })
  async pause(@Param() { name }: ScheduleParams): Promise<ScheduleView> {
    return toScheduleView(await this.postbox.pauseSchedule(name));
  }

  @Post(':name/resume')
  @HttpCode(200)
  @NamedResourceRoute('admin', {
    names: storedScheduleTarget,
    answer: { type: ScheduleView, description: 'Resumes at the first tick after now' },
  })
  async resume(@Param() { name }: ScheduleParams): Promise<ScheduleView> {
    return toScheduleView(await this.postbox.resumeSchedule(name));
  }

  @Delete(':name')
  @HttpCode(204)
  @NamedResourceRoute('admin', { names: storedScheduleTarget })
  async delete(@Param() { name }: ScheduleParams): Promise<void> {
    if (!(await this.postbox.deleteSchedule(name))) throw new ScheduleNotFoundError(name);
  }
}
