import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationPipe } from '../validation/request-validation.pipe';
import { SendBatchDto, SendMessageDto } from './dto/send-message.dto';

/**
 * POST /v1/queues/:queue/messages takes one message or `{messages: [...]}`.
 * `messages` is not a message field, so its presence picks the batch DTO;
 * both are validated by the global pipe's rules.
 */
@Injectable()
export class SendMessagesPipe implements PipeTransform {
  private readonly validation = new RequestValidationPipe();

  async transform(value: unknown): Promise<SendBatchDto | SendMessageDto> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BadRequestException('body must be a JSON object: one message, or {"messages": [...]}');
    }
    const metatype = 'messages' in value ? SendBatchDto : SendMessageDto;
    return (await this.validation.transform(value, { type: 'body', metatype })) as SendBatchDto | SendMessageDto;
  }
}
