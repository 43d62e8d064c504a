import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiErrorResponses, ServiceUnavailableError } from '@app/common';
import { Public } from '@app/auth';
import { SkipRateLimits } from '../rate-limit/rate-limit.module';

class HealthDto {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
}

@ApiTags('Health')
@Public()
@SkipRateLimits()
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('live')
  @ApiOperation({
    operationId: 'healthLive',
    summary: 'The process is up',
    description: 'Liveness probe: 200 {"status": "ok"} while the process runs. Public, not rate limited; touches no dependency.',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiErrorResponses('INTERNAL_ERROR')
  live(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'healthReady',
    summary: 'The database answers',
    description:
      'Readiness probe: pings the database. 200 when it answers, 503 SERVICE_UNAVAILABLE when it does not. Public, not rate limited.',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiErrorResponses('INTERNAL_ERROR', 'SERVICE_UNAVAILABLE')
  async ready(): Promise<HealthDto> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableError('The database is not reachable');
    }
    return { status: 'ok' };
  }
}
