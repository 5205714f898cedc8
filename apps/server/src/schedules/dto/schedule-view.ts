import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MISSED_POLICIES, type MissedPolicy, type Schedule } from 'postbox';

export class ScheduleView {
  @ApiProperty() name!: string;
  @ApiPropertyOptional() queue?: string;
  @ApiPropertyOptional() topic?: string;
  @ApiPropertyOptional() cron?: string;
  @ApiPropertyOptional() everyMs?: number;
  @ApiProperty() timezone!: string;
  @ApiProperty({ description: 'The message sent at each tick' }) message!: unknown;
  @ApiProperty({ enum: MISSED_POLICIES }) missed!: MissedPolicy;
  @ApiProperty() paused!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null right after a resume' })
  nextAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export function toScheduleView(schedule: Schedule): ScheduleView {
  return {
    ...schedule,
    nextAt: schedule.nextAt?.toISOString() ?? null,
    lastAt: schedule.lastAt?.toISOString() ?? null,
    createdAt: schedule.createdAt.toISOString(),
  };
}
