import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, Matches } from 'class-validator';
import { KEY_NAME_PATTERN, KEY_SCOPES, type KeyScope, NAMES_GLOB_PATTERN } from 'postbox';

export class CreateKeyDto {
  @ApiProperty({ pattern: KEY_NAME_PATTERN.source, example: 'orders-worker' })
  @Matches(KEY_NAME_PATTERN, { message: `name must match ${KEY_NAME_PATTERN.source}` })
  name!: string;

  @ApiProperty({ enum: KEY_SCOPES, isArray: true, example: ['consume'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(KEY_SCOPES.length)
  @IsIn(KEY_SCOPES, { each: true, message: `each value in scopes must be one of ${KEY_SCOPES.join(', ')}` })
  scopes!: KeyScope[];

  @ApiPropertyOptional({
    pattern: NAMES_GLOB_PATTERN.source,
    example: 'orders.*',
    description: 'Queues and topics the key may touch; `*` matches within one dot-separated segment, `*` alone all',
  })
  @IsOptional()
  @Matches(NAMES_GLOB_PATTERN, { message: `names must match ${NAMES_GLOB_PATTERN.source}` })
  names?: string;
}

export class KeyParams {
  @ApiProperty({ pattern: KEY_NAME_PATTERN.source })
  @Matches(KEY_NAME_PATTERN, { message: `name must match ${KEY_NAME_PATTERN.source}` })
  name!: string;
}

export class SqsCredentialsView {
  @ApiProperty() accessKeyId!: string;
  @ApiProperty() secretAccessKey!: string;
}

export class CreatedKeyView {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The secret, shown this once; only its hash is stored' }) key!: string;
  @ApiProperty({
    description:
      'The same key as SigV4 credentials for the SQS endpoint: accessKeyId and secretAccessKey (derived from the key)',
  })
  sqs!: SqsCredentialsView;
}

export class KeyView {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: KEY_SCOPES, isArray: true }) scopes!: KeyScope[];
  @ApiProperty({ type: String, nullable: true, description: 'null: every queue and topic' }) names!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt!: string | null;
}
