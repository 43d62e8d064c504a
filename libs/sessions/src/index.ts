export * from './sessions.module';
export * from './session-settings';
export { SessionDto } from './dto/session.dto';
