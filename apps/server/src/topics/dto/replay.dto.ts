import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';

export class ReplayDto {
  @ApiProperty({ format: 'date-time', description: 'Re-deliver every retained message from this time on' })
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 time' })
  from!: string;
}

export class ReplayResultView {
  @ApiProperty() replayed!: number;
}
