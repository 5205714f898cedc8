import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, Matches } from 'class-validator';

export class RedriveDto {
  @ApiPropertyOptional({ type: [String], description: 'Dead letters to redrive; none means all of the queue' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(/^\d{1,19}$/, { each: true, message: 'each value in ids must be a message id (a string of digits)' })
  ids?: string[];
}

export class RedriveResultView {
  @ApiProperty() redriven!: number;
}
