import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthResponseDto, Public } from '@app/auth';
import { SetPasswordDto } from './dto/set-password.dto';
import { InvitationsService } from './invitations.service';
import { SetPasswordDocs } from './users.openapi';

/** The invitee's side of an invitation: public, the token is the proof. */
@ApiTags('Authentication')
@Controller('auth')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post('set-password')
  @Public()
  @HttpCode(200)
  @SetPasswordDocs()
  setPassword(@Body() dto: SetPasswordDto): Promise<AuthResponseDto> {
    return this.invitations.setPassword(dto);
  }
}
