import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequestContext, toIsoUtc, UnauthorizedError } from '@app/common';
import { Public } from '@app/auth';
import { DetectIpDto } from './dto/session.dto';
import { SessionDocs } from './sessions.openapi';

@ApiTags('Sessions')
@Controller('detect-ip')
export class DetectIpController {
  constructor(private readonly context: RequestContext) {}

  @Get()
  @Public()
  @SessionDocs.detectIp()
  detect(): DetectIpDto {
    const ip = this.context.ip;
    if (!ip) {
      throw new UnauthorizedError();
    } // unreachable: every connection has an address
    return { ip, version: ip.includes(':') ? 6 : 4, timestamp: toIsoUtc(new Date()) as string };
  }
}
