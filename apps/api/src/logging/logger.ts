import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** Never logged, wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.refreshToken',
  '*.accessToken',
  '*.credentialData',
  '*.secretAccessKey',
  '*.adminKey',
  '*.clientSecret',
  '*.private_key',
  'credentialData',
  'password',
  'err.parameters',
  'err.driverError.parameters',
];

export function createRootLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'entryguard-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: req.url, id: req.id }),
      },
    },
    destination,
  );
}

/** Nest's own messages (bootstrap, lifecycle) go through the same JSON logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
