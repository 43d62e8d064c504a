import pg from 'pg';
import { usePreparedStatements } from './prepared-statements';

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/** Whether the caller is background work (the app passes @app/common's isBackgroundLane). */
export type LaneTest = () => boolean;

/**
 * The DataSource's pool, with a second pool inside it for background work (see inBackgroundLane).
 * TypeORM, compiled reads and `query()` all take connections through `connect()`, which picks the
 * caller's lane's pool; a transaction keeps the connection it began on. Both pools have the same
 * settings but their size, and connections are opened only when needed.
 */
export class LanedPool extends pg.Pool {
  readonly background: pg.Pool;

  private readonly inBackground: LaneTest;

  constructor(config: pg.PoolConfig & { backgroundMax: number; inBackground: LaneTest; preparedStatements?: boolean }) {
    const { backgroundMax, inBackground, preparedStatements, ...shared } = config;
    super(shared);
    this.inBackground = inBackground;
    this.background = new pg.Pool({ ...shared, max: backgroundMax });
    if (preparedStatements) {
      this.on('connect', usePreparedStatements);
      this.background.on('connect', usePreparedStatements);
    }
    // The request pool's error handler (TypeORM's) hears the background pool's idle-client errors too.
    this.background.on('error', (error, client) => this.emit('error', error, client));
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    if (this.inBackground()) {
      return callback ? this.background.connect(callback as never) : this.background.connect();
    }
    return callback ? super.connect(callback as never) : super.connect();
  }

  /** Both pools; TypeORM passes a callback, others await the promise. */
  override end(): Promise<void>;
  override end(callback: (error?: Error) => void): void;
  override end(callback?: (error?: Error) => void): Promise<void> | void {
    const ended = Promise.all([super.end(), this.background.end()]).then(() => undefined);
    if (!callback) {
      return ended;
    }
    ended.then(() => callback(), callback);
  }
}

/** `pg` as TypeORM's postgres driver option, with LanedPool as its Pool. */
export function lanedPg(backgroundMax: number, inBackground: LaneTest, preparedStatements = false): typeof pg {
  return {
    ...pg,
    Pool: class extends LanedPool {
      constructor(config: pg.PoolConfig) {
        super({ ...config, backgroundMax, inBackground, preparedStatements });
      }
    },
  } as typeof pg;
}
