import { Module } from '@nestjs/common';
import { CheckbackService } from './checkback-service';
import { DEFAULT_TRANSACTION_SETTINGS, TRANSACTION_SETTINGS } from './transaction-settings';
import { TransactionsController } from './transactions.controller';

/** Half-message routes, the check-back runner, and inbox/transaction retention. */
@Module({
  controllers: [TransactionsController],
  providers: [CheckbackService, { provide: TRANSACTION_SETTINGS, useValue: DEFAULT_TRANSACTION_SETTINGS }],
})
export class TransactionsModule {}
