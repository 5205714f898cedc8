import { IsInt, IsString, Length, Max, Min } from 'class-validator';

export class PlaceOrderDto {
  @IsString()
  @Length(1, 200)
  customer!: string;

  @IsInt()
  @Min(1)
  @Max(100_000_000)
  amountCents!: number;
}
