import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Principal, RateLimitBucket } from '@app/common';
import { CurrentPrincipal, Public } from '../access/access.decorators';
import { AuthResponseDto } from '../dto/auth.dto';
import { MfaChallengeResponseDto } from '../mfa/dto/mfa.dto';
import { ChangeExpiredPasswordDto, ChangePasswordDto, ForgotPasswordDto, ResetPasswordDto } from './dto/passwords.dto';
import { PasswordsDocs } from './passwords.openapi';
import { PasswordsService } from './passwords.service';

@ApiTags('Authentication')
@Controller('auth')
export class PasswordsController {
  constructor(private readonly passwords: PasswordsService) {}

  @Post('change-password')
  @HttpCode(200)
  @PasswordsDocs.change()
  change(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto): Promise<Record<string, never>> {
    return this.passwords.change(principal, dto);
  }

  @Post('forgot-password')
  @Public()
  @HttpCode(204)
  @RateLimitBucket('forgot-password')
  @PasswordsDocs.forgot()
  forgot(@Body() dto: ForgotPasswordDto): Promise<void> {
    return this.passwords.forgot(dto);
  }

  @Post('reset-password')
  @Public()
  @HttpCode(200)
  @PasswordsDocs.reset()
  reset(@Body() dto: ResetPasswordDto): Promise<AuthResponseDto | MfaChallengeResponseDto> {
    return this.passwords.reset(dto);
  }

  @Post('change-expired-password')
  @Public()
  @HttpCode(200)
  @PasswordsDocs.changeExpired()
  changeExpired(@Body() dto: ChangeExpiredPasswordDto): Promise<AuthResponseDto> {
    return this.passwords.changeExpired(dto);
  }
}
