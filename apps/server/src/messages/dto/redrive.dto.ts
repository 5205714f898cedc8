import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, ValidateBy } from 'class-validator';
import { isMessageId } from 'postbox';

/**
 * Exactly one of `ids` or `all: true`. "All" is never inferred from what is
 * missing: an empty body (or one read wrongly) redrove every dead letter of
 * the queue once, so it is now a 400.
 */
const OneTarget = () =>
  ValidateBy({
    name: 'redriveTarget',
    validator: {
      validate: (all, args) => {
        const ids = (args?.object as { ids?: unknown }).ids;
        return all === undefined ? ids !== undefined : all === true && ids === undefined;
      },
      defaultMessage: (args) => {
        const ids = (args?.object as { ids?: unknown }).ids;
        if (args?.value === undefined) return 'all or ids is required: {"ids": [...]} or {"all": true}';
        if (args.value !== true) return 'all must be true (or give ids instead)';
        return ids === undefined ? 'all must be true' : 'all cannot be combined with ids';
      },
    },
  });

const AreMessageIds = () =>
  ValidateBy({
    name: 'areMessageIds',
    validator: {
      // Not an array: IsArray says so.
      validate: (ids) => !Array.isArray(ids) || ids.every(isMessageId),
      defaultMessage: (args) => {
        const index = Array.isArray(args?.value) ? args.value.findIndex((id: unknown) => !isMessageId(id)) : -1;
        return `ids.${index} must be a message id (a string of digits within bigint)`;
      },
    },
  });

export class RedriveDto {
  @ApiPropertyOptional({ type: [String], description: 'Dead letters to redrive (or give all: true)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @AreMessageIds()
  ids?: string[];

  @ApiPropertyOptional({ enum: [true], description: 'Redrive every dead letter of the queue (or give ids)' })
  @OneTarget()
  all?: true;
}

export class RedriveResultView {
  @ApiProperty() redriven!: number;
}
