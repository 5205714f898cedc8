/** What the SQS endpoint needs besides the Postbox: the account and region its URLs and ARNs name. */
export interface SqsOptions {
  /** 12 digits; queue URLs are http://<host>/<accountId>/<queue>. */
  accountId: string;
  region: string;
}

export const SQS_OPTIONS = Symbol('SQS_OPTIONS');

/** POSTBOX_SQS_ACCOUNT_ID (default 000000000000, as LocalStack and ElasticMQ use) and POSTBOX_SQS_REGION. */
export function loadSqsOptions(env: NodeJS.ProcessEnv = process.env): SqsOptions {
  const accountId = env.POSTBOX_SQS_ACCOUNT_ID?.trim() || '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`POSTBOX_SQS_ACCOUNT_ID must be 12 digits, got "${accountId}"`);
  return { accountId, region: env.POSTBOX_SQS_REGION?.trim() || 'us-east-1' };
}
