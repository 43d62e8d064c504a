import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Principal, RateLimitBucket } from '@app/common';
import { AuditedAction } from '@app/audit';
import { AllowedDuringMfaSetup, CurrentPrincipal } from '../access/access.decorators';
import { ConfirmMfaDto, DisableMfaDto, MfaSetupResponseDto, RecoveryCodesResponseDto, RegenerateRecoveryCodesDto } from './dto/mfa.dto';
import { MfaDocs } from './mfa.openapi';
import { MfaService } from './mfa.service';

/** A signed-in user's own MFA (§11). */
@ApiTags('MFA')
@Controller('mfa')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('setup')
  @HttpCode(200)
  @AllowedDuringMfaSetup()
  @MfaDocs.setup()
  setup(@CurrentPrincipal() principal: Principal): Promise<MfaSetupResponseDto> {
    return this.mfa.setup(principal);
  }

  @Post('setup/confirm')
  @HttpCode(200)
  @AllowedDuringMfaSetup()
  @RateLimitBucket('mfa')
  @AuditedAction('MFA_ENABLE', 'USER')
  @MfaDocs.confirm()
  confirm(@CurrentPrincipal() principal: Principal, @Body() dto: ConfirmMfaDto): Promise<RecoveryCodesResponseDto> {
    return this.mfa.confirm(principal, dto);
  }

  @Post('disable')
  @HttpCode(200)
  @RateLimitBucket('mfa')
  @AuditedAction('MFA_DISABLE', 'USER')
  @MfaDocs.disable()
  disable(@CurrentPrincipal() principal: Principal, @Body() dto: DisableMfaDto): Promise<Record<string, never>> {
    return this.mfa.disable(principal, dto);
  }

  @Post('recovery-codes/regenerate')
  @HttpCode(200)
  @RateLimitBucket('mfa')
  @AuditedAction('MFA_RECOVERY_CODES_REGENERATE', 'USER')
  @MfaDocs.regenerate()
  regenerate(@CurrentPrincipal() principal: Principal, @Body() dto: RegenerateRecoveryCodesDto): Promise<RecoveryCodesResponseDto> {
    return this.mfa.regenerateRecoveryCodes(principal, dto);
  }
}
