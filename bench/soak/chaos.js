'use strict';
// What goes wrong during a soak, on purpose: one instance at a time is killed with SIGKILL and
// started again (on the same port), and now and then a provider is throttled or slowed down.
const { sleep } = require('../engine/http');

/** Base answer time of the fakes between faults. */
const BASE_DELAY_MS = 20;

/**
 * Faults by name (SOAK_FAULTS): each is switched on, held for a while, then cleared.
 * "timeout" makes AWS answer later than PROVIDER_TIMEOUT_MS: calls time out on our side and land
 * afterwards anyway (the fake applies them after the wait), the hardest case for the engine.
 */
const FAULTS = {
  throttle: [
    { what: 'AWS throttled for 4 s', on: (f) => f.awsControls({ throttle: { forMs: 4000 } }), holdMs: 4000 },
    { what: 'APISIX: next 8 calls throttled (429)', on: (f) => f.apisixControls({ throttle: { count: 8 } }), holdMs: 4000 },
  ],
  slow: [
    { what: 'AWS slow (1,200 ms) for 6 s', on: (f) => f.awsControls({ delayMs: 1200 }), holdMs: 6000 },
    { what: 'APISIX slow (800 ms) for 6 s', on: (f) => f.apisixControls({ delayMs: 800 }), holdMs: 6000 },
  ],
  timeout: [
    {
      what: 'AWS slower than PROVIDER_TIMEOUT_MS for 5 s',
      on: (f, ctx) => f.awsControls({ delayMs: ctx.providerTimeoutMs + 1000 }),
      holdMs: 5000,
    },
  ],
};

async function clearFaults(fakes) {
  await fakes.awsControls({ delayMs: BASE_DELAY_MS, throttle: null });
  await fakes.apisixControls({ delayMs: BASE_DELAY_MS, throttle: null });
}

class Chaos {
  /**
   * @param ctx { instances, fakes, killEveryMs, faultEveryMs, faults: string[], providerTimeoutMs, log }
   */
  constructor(ctx) {
    this.ctx = ctx;
    this.stopping = false;
    this.events = [];
    this.kills = 0;
    this.restartFailures = [];
    this.faultsFlipped = 0;
    this.loopErrors = [];
    this.killTimes = [];
  }

  note(what) {
    this.events.push(`${new Date().toISOString().slice(11, 19)} ${what}`);
    this.ctx.log(what);
  }

  /** Interruptible wait: returns early once the soak is stopping. */
  async pause(ms) {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
  }

  /** Every ~killEveryMs from the previous kill, but never while the last victim is still starting again. */
  async killLoop() {
    const { instances, killEveryMs } = this.ctx;
    let lastKill = Date.now();
    for (let next = 0; !this.stopping; next++) {
      await this.pause(lastKill + killEveryMs * (0.8 + Math.random() * 0.4) - Date.now());
      if (this.stopping) break;
      lastKill = Date.now();
      const victim = instances[next % instances.length];
      this.killTimes.push(new Date());
      await victim.kill();
      this.kills++;
      this.note(`SIGKILL ${victim.name} (kill ${this.kills})`);
      await sleep(1000 + Math.random() * 2000);
      await this.restart(victim);
    }
  }

  async restart(instance) {
    try {
      await instance.start(false);
      this.note(`${instance.name} up again`);
    } catch (error) {
      this.restartFailures.push(`${instance.name}: ${error.message.slice(0, 2000)}`);
      this.note(`${instance.name} did NOT come back: ${error.message.split('\n')[0]}`);
    }
  }

  async faultLoop() {
    const { fakes, faultEveryMs } = this.ctx;
    const menu = this.ctx.faults.flatMap((name) => FAULTS[name] ?? []);
    if (menu.length === 0) return;
    await this.pause(faultEveryMs / 2);
    for (let next = 0; !this.stopping; next++) {
      const fault = menu[next % menu.length];
      await fault.on(fakes, this.ctx);
      this.faultsFlipped++;
      this.note(`fault: ${fault.what}`);
      await this.pause(fault.holdMs);
      await clearFaults(fakes);
      await this.pause(faultEveryMs * (0.8 + Math.random() * 0.4));
    }
  }

  /** Both loops until stop(); then every instance is up and no fault is left on. */
  run() {
    const guard = (loop) =>
      loop.catch((error) => {
        this.loopErrors.push(error.stack || String(error));
        this.note(`chaos loop failed: ${error.message}`);
      });
    this.running = Promise.all([guard(this.killLoop()), guard(this.faultLoop())]);
    return this.running;
  }

  async stop() {
    this.stopping = true;
    await this.running;
    await clearFaults(this.ctx.fakes);
    for (const instance of this.ctx.instances) if (!instance.up) await this.restart(instance);
  }
}

module.exports = { Chaos, FAULTS, BASE_DELAY_MS, clearFaults };
