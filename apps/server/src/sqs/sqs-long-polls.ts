import { Injectable } from '@nestjs/common';
import { LongPolls } from '../messages/long-polls';

/**
 * The endpoint's own tracker of waiting ReceiveMessage calls (same rules as
 * the REST receive's), under its own token so `app.get(LongPolls)` still
 * finds the REST one.
 */
@Injectable()
export class SqsLongPolls extends LongPolls {}
