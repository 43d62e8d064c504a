import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiErrorResponses, AUTHENTICATED_ERRORS, BODY_ERRORS, Principal, RateLimitBucket } from '@app/common';
import { AllowedDuringMfaSetup, CurrentPrincipal, Public } from './access/access.decorators';
import { AuthService } from './auth.service';
import { MfaChallengeResponseDto, VerifyMfaDto } from './mfa/dto/mfa.dto';
import { MfaLoginService } from './mfa/mfa-login.service';
import { MfaDocs } from './mfa/mfa.openapi';
import {
  AuthResponseDto,
  AuthUserDto,
  EmptyResponseDto,
  LoginDto,
  LoginResponse,
  LogoutDto,
  PasswordExpiredResponseDto,
  RefreshDto,
  RegisterDto,
} from './dto/auth.dto';

const PUBLIC_ERRORS = [...BODY_ERRORS, 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'] as const;

@ApiTags('Authentication')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly mfaLogin: MfaLoginService,
  ) {}

  @Post('register')
  @Public()
  @RateLimitBucket('register')
  @ApiOperation({
    operationId: 'register',
    summary: 'Create an organization and its first admin',
    description:
      'Creates an organization (its slug derived from the name) and its first user, with role ORG_ADMIN, and signs that user in. A taken slug is 409 ORGANIZATION_ALREADY_EXISTS. Limited to 5 requests an hour per client IP.',
  })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiErrorResponses(...PUBLIC_ERRORS, 'ORGANIZATION_ALREADY_EXISTS')
  register(@Body() dto: RegisterDto): Promise<AuthResponseDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @RateLimitBucket('login')
  @ApiOperation({
    operationId: 'login',
    summary: 'Sign in with organization slug, email and password',
    description:
      'Signs in with organization slug, email and password, and answers an access token (JWT, expiresIn seconds) and a refresh token. Any mismatch is the same 401 UNAUTHORIZED. For a user with MFA on, the answer is instead {mfaRequired: true, mfaChallengeToken, mfaChallengeExpiresIn: 300, accessToken: null, refreshToken: null, user: null}: nothing is signed in until POST /auth/verify-mfa. When the organization requires MFA and the user has not set it up, the sign-in carries mfaSetupRequired: true, and its token reaches only MFA setup, /auth/me and logout until MFA is on. When the organization lets passwords expire (passwordExpirationDays) and this one is older, the answer is instead {passwordExpired: true, passwordChangeToken, accessToken: null, refreshToken: null, user: null}: nothing is signed in until POST /auth/change-expired-password (with MFA on, that answer comes from verify-mfa, after the second factor). Limited to 10 requests a minute per client IP.',
  })
  @ApiExtraModels(PasswordExpiredResponseDto, MfaChallengeResponseDto)
  @ApiOkResponse({
    description:
      'Signed in; or the MFA challenge and no sign-in; or, when the password has expired, a password change token and no sign-in',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(AuthResponseDto) },
        { $ref: getSchemaPath(MfaChallengeResponseDto) },
        { $ref: getSchemaPath(PasswordExpiredResponseDto) },
      ],
    },
  })
  @ApiErrorResponses(...PUBLIC_ERRORS, 'UNAUTHORIZED')
  login(@Body() dto: LoginDto): Promise<LoginResponse> {
    return this.auth.login(dto);
  }

  @Post('verify-mfa')
  @Public()
  @HttpCode(200)
  @RateLimitBucket('mfa')
  @MfaDocs.verify()
  verifyMfa(@Body() dto: VerifyMfaDto): Promise<AuthResponseDto | PasswordExpiredResponseDto> {
    return this.mfaLogin.verify(dto);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'refreshToken',
    summary: 'Rotate a refresh token for a new token pair',
    description:
      'Exchanges a refresh token for a new token pair; the presented token stops working. Presenting an already rotated token revokes its whole token family and answers 401 UNAUTHORIZED.',
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrorResponses(...PUBLIC_ERRORS, 'UNAUTHORIZED')
  refresh(@Body() dto: RefreshDto): Promise<AuthResponseDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @Public()
  @AllowedDuringMfaSetup()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'logout',
    summary: 'Revoke a refresh token (always succeeds)',
    description: 'Revokes the given refresh token, if any. Always answers 200 with an empty object.',
  })
  @ApiOkResponse({ type: EmptyResponseDto })
  @ApiErrorResponses(...PUBLIC_ERRORS)
  logout(@Body() dto: LogoutDto): Promise<Record<string, never>> {
    return this.auth.logout(dto.refreshToken);
  }

  @Get('me')
  @AllowedDuringMfaSetup()
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'getCurrentUser',
    summary: 'The signed-in user',
    description: 'The user and organization behind the bearer token.',
  })
  @ApiOkResponse({ type: AuthUserDto })
  @ApiErrorResponses(...AUTHENTICATED_ERRORS)
  me(@CurrentPrincipal() principal: Principal): Promise<AuthUserDto> {
    return this.auth.me(principal);
  }
}
