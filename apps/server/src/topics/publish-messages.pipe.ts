import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationPipe } from '../validation/request-validation.pipe';
import { PublishBatchDto, PublishMessageDto } from './dto/publish.dto';

/** POST /v1/topics/:topic/publish takes one message or `{messages: [...]}`, as the queue send route does. */
@Injectable()
export class PublishMessagesPipe implements PipeTransform {
  private readonly validation = new RequestValidationPipe();

  async transform(value: unknown): Promise<PublishBatchDto | PublishMessageDto> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BadRequestException('body must be a JSON object: one message, or {"messages": [...]}');
    }
    const metatype = 'messages' in value ? PublishBatchDto : PublishMessageDto;
    return (await this.validation.transform(value, { type: 'body', metatype })) as PublishBatchDto | PublishMessageDto;
  }
}
