import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { TransactionTarget } from 'postbox';
import { preparedTarget, storedTransactionTarget } from '../auth/name-sources';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { PrepareTransactionDto } from './dto/prepare-transaction.dto';
import { TransactionParams } from './dto/transaction-params.dto';
import { PrepareResultView, TransactionView, toTransactionView } from './dto/transaction-view';
import { TRANSACTION_SETTINGS, type TransactionSettings } from './transaction-settings';

/** Half messages (API.md "Half messages"): prepare, then commit or rollback; check-back resolves the silent ones. */
@ApiTags('transactions')
@Controller('v1/transactions')
export class TransactionsController {
  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(TRANSACTION_SETTINGS) private readonly settings: TransactionSettings,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: PrepareResultView, description: 'Stored, invisible to every consumer' })
  @ApiNotFoundResponse({ description: 'Unknown queue or topic' })
  @RequiresScope('produce', preparedTarget)
  async prepare(@Body() dto: PrepareTransactionDto): Promise<PrepareResultView> {
    const { queue, topic, checkbackUrl, checkAfterMs, maxChecks, dedupKey, ...message } = dto;
    const transactionId = await this.postbox.prepare({ queue, topic } as TransactionTarget, message, {
      checkbackUrl,
      checkbackAllow: this.settings.checkbackAllow,
      checkAfterMs,
      maxChecks,
      dedupKey,
    });
    return { transactionId };
  }

  @Post(':id/commit')
  @HttpCode(200)
  @ApiOkResponse({ type: TransactionView, description: 'Committed: the message is visible exactly once (repeat: 200)' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Already rolled back or expired' })
  @RequiresScope('produce', storedTransactionTarget)
  async commit(@Param() { id }: TransactionParams): Promise<TransactionView> {
    return toTransactionView(await this.postbox.commitTransaction(id));
  }

  @Post(':id/rollback')
  @HttpCode(200)
  @ApiOkResponse({ type: TransactionView, description: 'Discarded (repeat: 200)' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Already committed' })
  @RequiresScope('produce', storedTransactionTarget)
  async rollback(@Param() { id }: TransactionParams): Promise<TransactionView> {
    return toTransactionView(await this.postbox.rollbackTransaction(id));
  }

  @Get(':id')
  @ApiOkResponse({ type: TransactionView })
  @ApiNotFoundResponse()
  @RequiresScope(['produce', 'read'], storedTransactionTarget)
  async get(@Param() { id }: TransactionParams): Promise<TransactionView> {
    return toTransactionView(await this.postbox.getTransaction(id));
  }
}
