'use strict';
// The stateful AWS and APISIX fakes as a process of their own (test/fakes/fakes.process.ts, run
// through ts-node + SWC), and a client for its control endpoint. Every service instance of a
// bench or soak talks to the same fakes, so the firewalls they hold are the ones to check.
const path = require('node:path');
const { spawn } = require('node:child_process');

const { ROOT } = require('../lib/app-code');

/** Starts the fakes; resolves once they printed their ready line ({ aws, apisix, control } URLs). */
function startFakes(seed = {}, timeoutMs = 30_000) {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'test/fakes/fakes.process.ts'), '--exit-with-parent'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TS_NODE_TRANSPILE_ONLY: 'true',
        TS_NODE_SWC: 'true',
        FAKES_SEED: JSON.stringify(seed),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`fakes not ready within ${timeoutMs} ms: ${output}`)), timeoutMs);
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (line && timer) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new Fakes(child, JSON.parse(line)));
      }
    });
    child.once('exit', (code) => fail(new Error(`fakes exited (${code}) before they were ready: ${output}`)));
  });
}

class Fakes {
  constructor(child, ready) {
    this.child = child;
    this.aws = ready.aws;
    this.apisix = ready.apisix;
    this.control = ready.control;
    this.pid = ready.pid;
  }

  /** Both fakes' rules, routes, faults and counters (GET /state). */
  state() {
    return this.call('GET', '/state');
  }

  /** { aws: { Action: n }, apisix: { METHOD: n } } since the last reset. */
  counters() {
    return this.call('GET', '/counters');
  }

  resetCounters() {
    return this.call('POST', '/counters/reset');
  }

  /** { delayMs, throttle: { count | forMs, actions } | null, down, ruleLimit, ... } */
  awsControls(controls) {
    return this.call('POST', '/aws/controls', controls);
  }

  apisixControls(controls) {
    return this.call('POST', '/apisix/controls', controls);
  }

  putAccount(accessKeyId, account) {
    return this.call('PUT', `/aws/accounts/${encodeURIComponent(accessKeyId)}`, account);
  }

  putGroup(region, group) {
    return this.call('PUT', `/aws/groups/${encodeURIComponent(region)}/${encodeURIComponent(group.groupId)}`, group);
  }

  putRoute(id, route) {
    return this.call('PUT', `/apisix/routes/${encodeURIComponent(id)}`, route);
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async call(method, urlPath, body) {
    const res = await fetch(`${this.control}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`fakes control ${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}

module.exports = { startFakes };
