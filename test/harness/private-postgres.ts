import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/database/src';

const run = promisify(execFile);

/**
 * A PostgreSQL server owned by one spec, so it can really be stopped and started again
 * (the shared server on 5432 serves other test workers and must never go down).
 */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/<db>, migrations applied. */
  readonly url: string;
  readonly port: number;
  /** Immediate shutdown: backends die at once, like a crash, and new connections are refused. */
  stop(): Promise<void>;
  /** Starts again on the same data directory and port, so `url` stays valid. */
  start(): Promise<void>;
  /** Stops the server (if running) and removes its data directory. */
  destroy(): Promise<void>;
}

/** Debian keeps the server binaries out of PATH; pg_config knows where, else the newest version dir. */
function findBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config is optional (it ships with libpq-dev); fall back to the Debian layout.
  }
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(`private PostgreSQL: no initdb/pg_ctl found (looked in: ${candidates.join(', ') || 'nothing'})`);
  }
  return found;
}

/** PostgreSQL refuses to run as root: as root we drop to the `postgres` user, otherwise run as ourselves. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'entryguard-pg-'));
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const exec = async (tool: string, args: string[]) => {
    const [command, argv] = asServerUser(join(bin, tool), args);
    // cwd: the postgres user may not be allowed into the caller's working directory.
    await run(command, argv, { cwd: dir, timeout: 60_000 }).catch((error: Error & { stderr?: string }) => {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`private PostgreSQL: ${tool} ${args.join(' ')} failed: ${error.stderr || error.message}\n${log}`);
    });
  };
  // -l: the postmaster must not inherit our stdout pipe, or execFile would wait for it forever.
  // -k <dir>: a private socket directory, so nothing collides with the shared cluster's.
  const pgCtlStart = [
    '-D',
    dir,
    '-l',
    logFile,
    '-w',
    '-t',
    '30',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ];
  let running = false;
  // If the spec dies before destroy(), do not leave a server behind holding the port.
  const onExit = () => {
    if (running) {
      const [command, argv] = asServerUser(join(bin, 'pg_ctl'), ['-D', dir, '-m', 'immediate', 'stop']);
      spawnSync(command, argv, { cwd: dir, stdio: 'ignore' });
    }
  };

  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(dir, uid, gid);
    }
    // --no-sync and fsync=off: this cluster is thrown away, durability only costs time.
    await exec('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await exec('pg_ctl', pgCtlStart);
    running = true;
    process.once('exit', onExit);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const url = `postgres://postgres@127.0.0.1:${port}/entryguard_private`;
  const server: PrivatePostgres = {
    url,
    port,
    async stop() {
      await exec('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    async start() {
      await exec('pg_ctl', pgCtlStart);
      running = true;
    },
    async destroy() {
      if (running) {
        await server.stop().catch(() => undefined);
      }
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE entryguard_private').finally(() => admin.end());
    // The same migrations the app runs, as createFreshDatabase applies them.
    const dataSource = new DataSource(buildDataSourceOptions({ databaseUrl: url, dataDir: '/tmp', migrationsRun: false, poolSize: 2 }));
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.destroy();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}
