/**
 * The AWS and APISIX fakes as a process of their own, for multi-process tests, the soak and the
 * bench: the state lives here, and every API instance under test (and the test itself, through
 * the control endpoint) sees the same firewalls.
 *
 *   node -r ts-node/register/transpile-only test/fakes/fakes.process.ts [--seed seed.json] [--exit-with-parent]
 *   (or TS_NODE_TRANSPILE_ONLY=true npx ts-node test/fakes/fakes.process.ts …)
 *
 * Seed: --seed <file>, or FAKES_SEED_FILE=<file>, or FAKES_SEED='<json>': a FakesSeed.
 * When listening it prints ONE line of JSON to stdout:
 *   {"ready":true,"pid":1234,"aws":"http://127.0.0.1:p1","apisix":"http://127.0.0.1:p2","control":"http://127.0.0.1:p3"}
 * SIGTERM/SIGINT close the servers and exit 0; with --exit-with-parent it also exits when its
 * stdin closes (the parent died or let go). Everything listens on 127.0.0.1 only.
 */
import { readFileSync } from 'node:fs';
import { startApisixFakeServer, type ApisixFakeControls, type ApisixFakeSeed } from './apisix-fake-server';
import { startAwsFakeServer } from './aws-fake-server';
import type { AwsFakeControls, AwsFakeSeed } from './aws-fake.state';
import { startFakesControlServer } from './fakes-control.server';

export interface FakesSeed {
  aws?: AwsFakeSeed & { controls?: AwsFakeControls };
  apisix?: ApisixFakeSeed & { controls?: ApisixFakeControls };
  /** Fixed loopback ports (default: free ones), e.g. to restart the fakes where clients expect them. */
  ports?: { aws?: number; apisix?: number; control?: number };
}

export interface FakesReadyLine {
  ready: true;
  pid: number;
  aws: string;
  apisix: string;
  control: string;
}

function readSeed(argv: string[]): FakesSeed {
  const flag = argv.indexOf('--seed');
  const file = flag >= 0 ? argv[flag + 1] : process.env.FAKES_SEED_FILE;
  if (file) return JSON.parse(readFileSync(file, 'utf8')) as FakesSeed;
  return process.env.FAKES_SEED ? (JSON.parse(process.env.FAKES_SEED) as FakesSeed) : {};
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seed = readSeed(argv);
  const aws = await startAwsFakeServer(seed.aws ?? {}, { port: seed.ports?.aws });
  const apisix = await startApisixFakeServer(seed.apisix ?? {}, { port: seed.ports?.apisix });
  if (seed.aws?.controls) aws.state.apply(seed.aws.controls);
  if (seed.apisix?.controls) apisix.state.apply(seed.apisix.controls);
  const control = await startFakesControlServer({ aws, apisix }, seed.ports?.control);

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    void Promise.allSettled([control.close(), aws.close(), apisix.close()]).then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (argv.includes('--exit-with-parent')) {
    process.stdin.on('end', shutdown).on('close', shutdown).resume();
  }

  const ready: FakesReadyLine = { ready: true, pid: process.pid, aws: aws.url, apisix: apisix.url, control: control.url };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fakes process failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
