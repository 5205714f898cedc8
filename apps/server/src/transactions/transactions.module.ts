import { Module } from '@nestjs/common';
import { CheckbackService } from './checkback-service';
import { TransactionMaintenance } from './transaction-maintenance';
import { TRANSACTION_SETTINGS, transactionSettingsFromEnv } from './transaction-settings';
import { TransactionsController } from './transactions.controller';

/** Half-message routes, the check-back runner, and inbox/transaction retention. */
@Module({
  controllers: [TransactionsController],
  providers: [
    CheckbackService,
    TransactionMaintenance,
    { provide: TRANSACTION_SETTINGS, useFactory: () => transactionSettingsFromEnv() },
  ],
})
export class TransactionsModule {}
