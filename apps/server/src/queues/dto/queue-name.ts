import { QUEUE_NAME } from 'postbox';

/** Queue names as API.md gives them; the same pattern the core and the table's CHECK use. */
export const QUEUE_NAME_PATTERN = QUEUE_NAME;
export const QUEUE_NAME_MESSAGE = (field: string) => `${field} must match ${QUEUE_NAME.source}`;
