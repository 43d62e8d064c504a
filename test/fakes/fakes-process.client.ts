import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ApisixFakeControls, ApisixRoute } from './apisix-fake-server';
import type { AwsFakeAccount, AwsFakeControls, AwsFakeGroupSeed } from './aws-fake.state';
import type { fakesState } from './fakes-control.server';
import type { FakesReadyLine, FakesSeed } from './fakes.process';

export type { FakesSeed } from './fakes.process';
export type FakesStateJson = ReturnType<typeof fakesState>;

const ROOT = join(__dirname, '..', '..');

/**
 * How to start the standalone fakes from any script (the bench, a soak): ts-node, transpile
 * only, compiled by SWC (about a second to start). Run it with cwd = the repository root.
 */
export function fakesProcessCommand(): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: ['-r', 'ts-node/register/transpile-only', join(ROOT, 'test', 'fakes', 'fakes.process.ts'), '--exit-with-parent'],
    env: { TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_SWC: 'true' },
  };
}

/** A running fakes process and a typed client for its control endpoint. */
export class FakesProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly ready: FakesReadyLine,
  ) {}

  /** Starts the fakes in a child process and resolves once it printed its ready line. */
  static async start(seed: FakesSeed = {}, timeoutMs = 20_000): Promise<FakesProcess> {
    const { command, args, env } = fakesProcessCommand();
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, FAKES_SEED: JSON.stringify(seed) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const ready = await new Promise<FakesReadyLine>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`fakes process not ready within ${timeoutMs} ms: ${output}`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(error);
      };
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.startsWith('{"ready":true'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as FakesReadyLine);
        }
      });
      child.once('exit', (code) => fail(new Error(`fakes process exited (${code}) before it was ready: ${output}`)));
    });
    child.removeAllListeners('exit');
    return new FakesProcess(child, ready);
  }

  get aws(): string {
    return this.ready.aws;
  }
  get apisix(): string {
    return this.ready.apisix;
  }
  get control(): string {
    return this.ready.control;
  }

  state(): Promise<FakesStateJson> {
    return this.call('GET', '/state');
  }

  counters(): Promise<{ aws: Record<string, number>; apisix: Record<string, number> }> {
    return this.call('GET', '/counters');
  }

  resetCounters(): Promise<unknown> {
    return this.call('POST', '/counters/reset');
  }

  awsControls(controls: AwsFakeControls): Promise<FakesStateJson['aws']> {
    return this.call('POST', '/aws/controls', controls);
  }

  apisixControls(controls: ApisixFakeControls): Promise<FakesStateJson['apisix']> {
    return this.call('POST', '/apisix/controls', controls);
  }

  putSecurityGroup(region: string, group: AwsFakeGroupSeed): Promise<FakesStateJson['aws']> {
    return this.call('PUT', `/aws/groups/${enc(region)}/${enc(group.groupId)}`, group);
  }

  /** Removes an address's rules from a group behind the API's back; resolves to how many went. */
  async removeIngress(region: string, groupId: string, cidr: string): Promise<number> {
    const answer = await this.call<{ removed: number }>('DELETE', `/aws/groups/${enc(region)}/${enc(groupId)}/ingress/${enc(cidr)}`);
    return answer.removed;
  }

  putAccount(accessKeyId: string, account: AwsFakeAccount): Promise<unknown> {
    return this.call('PUT', `/aws/accounts/${enc(accessKeyId)}`, account);
  }

  putRoute(id: string, route: ApisixRoute): Promise<FakesStateJson['apisix']> {
    return this.call('PUT', `/apisix/routes/${enc(id)}`, route);
  }

  /** SIGTERM, and waits for the exit (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.ready.control}${path}`, {
      method,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`fakes control ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }
}

function enc(part: string): string {
  return encodeURIComponent(part);
}
