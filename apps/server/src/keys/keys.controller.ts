import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { createKey, listKeys, NotFoundError, revokeKey } from 'postbox';
import { AuthMode } from '../auth/auth-mode';
import { everyName } from '../auth/name-sources';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { CreatedKeyView, CreateKeyDto, KeyParams, KeyView } from './dto/create-key.dto';

/** API keys (API.md "API keys"): admin keys without a names limit only. */
@ApiTags('keys')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@RequiresScope('admin', everyName)
@Controller('v1/keys')
export class KeysController {
  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    private readonly authMode: AuthMode,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedKeyView })
  @ApiConflictResponse({ description: 'A key with this name exists' })
  async create(@Body() dto: CreateKeyDto): Promise<CreatedKeyView> {
    const created = await createKey(this.postbox.db, dto, { schema: this.postbox.schema });
    this.authMode.keysSeen(); // the first key closes this instance at once (others within 1 s: auth-mode.ts)
    return created;
  }

  @Get()
  @ApiOkResponse({ type: KeyView, isArray: true })
  async list(): Promise<KeyView[]> {
    return (await listKeys(this.postbox.db, { schema: this.postbox.schema })).map((key) => ({
      ...key,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    }));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNotFoundResponse()
  async revoke(@Param() { name }: KeyParams): Promise<void> {
    if (!(await revokeKey(this.postbox.db, name, { schema: this.postbox.schema }))) {
      throw new NotFoundError(`API key "${name}" does not exist`);
    }
  }
}
