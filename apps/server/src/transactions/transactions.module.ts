import { Module } from '@nestjs/common';
import { CheckbackService } from './checkback-service';
import { TRANSACTION_SETTINGS, transactionSettingsFromEnv } from './transaction-settings';
import { TransactionsController } from './transactions.controller';

/** Half-message routes, the check-back runner, and inbox/transaction retention. */
@Module({
  controllers: [TransactionsController],
  providers: [CheckbackService, { provide: TRANSACTION_SETTINGS, useFactory: () => transactionSettingsFromEnv() }],
})
export class TransactionsModule {}
