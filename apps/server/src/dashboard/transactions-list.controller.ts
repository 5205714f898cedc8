import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { listTransactions, nameMatches } from 'postbox';
import type { AuthRequest } from '../auth/key-principal';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { TransactionView, toTransactionView } from '../transactions/dto/transaction-view';
import { ListTransactionsQuery } from './transactions-list.query';
import { visibleGlob } from './visible-sample';

/**
 * GET /v1/transactions: half messages newest first, for the dashboard's
 * half-messages page (API.md has only the one-id route). A names-limited key
 * sees those for its queues and topics.
 */
@ApiTags('transactions')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('v1/transactions')
export class TransactionsListController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Get()
  @RequiresScope(['produce', 'read'], () => [])
  @ApiOkResponse({ type: TransactionView, isArray: true })
  async list(
    @Query() query: ListTransactionsQuery,
    @Req() req: AuthRequest,
  ): Promise<(TransactionView & { message: unknown })[]> {
    const glob = visibleGlob(req.postboxKey);
    const found = await listTransactions(this.postbox.db, {
      schema: this.postbox.schema,
      state: query.state,
      limit: query.limit ?? 100,
    });
    return found
      .filter((tx) => glob === null || nameMatches(glob, tx.queue ?? tx.topic ?? ''))
      .map((tx) => ({ ...toTransactionView(tx), message: tx.message }));
  }
}
