import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { prettyFactory, type PrettyOptions } from 'pino-pretty';

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

/** `json`: one object per line, for machines. `pretty`: one readable line per entry, for a person. */
export type LogFormat = 'json' | 'pretty';

/**
 * Pretty only for a person at a terminal in development: NODE_ENV neither production nor test,
 * and stdout a TTY. Production, tests and piped output (`npm start | tee`, a log collector) get JSON.
 */
export function chooseLogFormat(nodeEnv: string | undefined, stdoutIsTTY: boolean | undefined): LogFormat {
  const development = nodeEnv !== 'production' && nodeEnv !== 'test';
  return development && stdoutIsTTY === true ? 'pretty' : 'json';
}

/**
 * A synchronous pretty-printing destination. Redaction has already happened when a line reaches
 * it: pino censors while serializing, before any destination sees the text.
 */
function prettyDestination(out: pino.DestinationStream | undefined): pino.DestinationStream {
  const options: PrettyOptions = {
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  };
  if (out) {
    options.colorize = false; // a sink (tests) gets plain text; stdout gets colours when it supports them
  }
  const prettify = prettyFactory(options);
  const target = out ?? process.stdout;
  return { write: (line: string) => void target.write(prettify(line)) };
}

/**
 * The one root logger: Fastify's request logs and Nest's own messages go through it. JSON unless
 * `format` is `pretty` (see chooseLogFormat); `destination` defaults to stdout (tests pass a sink).
 */
export function createRootLogger(level: string, destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
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
    format === 'pretty' ? prettyDestination(destination) : destination,
  );
}

/** Nest's own messages (bootstrap, lifecycle) go through the same logger. */
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
