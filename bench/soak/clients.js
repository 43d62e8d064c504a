'use strict';
// The soak's clients: members starting, extending, stopping and "expiring" their sessions, and
// admins creating and deleting static IP rules and stopping others' sessions, each on whichever
// instance is up at that moment. Addresses come from small shared pools, so sessions and static
// rules hold the same provider rules (the reference counts are what is being soaked).
const { randomUUID } = require('node:crypto');

const { request, sleep } = require('../engine/http');

const IPV4 = Array.from({ length: 16 }, (_, i) => `198.51.100.${10 + i}`);
const IPV6 = Array.from({ length: 6 }, (_, i) => `2001:db8:5::${(i + 1).toString(16)}`);
/** Static rules: the same single addresses, and a few networks around them. */
const STATIC_ADDRESSES = [
  ...IPV4.slice(0, 8),
  ...IPV6.slice(0, 3).map((a) => `${a}/128`),
  '198.51.100.0/24',
  '203.0.113.0/28',
  '2001:db8:5::/64',
];

const pickOne = (list) => list[Math.floor(Math.random() * list.length)];
const subset = (list, min, max) => {
  const n = Math.min(list.length, min + Math.floor(Math.random() * (max - min + 1)));
  return [...list].sort(() => Math.random() - 0.5).slice(0, n);
};

class SoakClients {
  /**
   * @param ctx { org, instances, pool, tally, thinkMs }
   */
  constructor(ctx) {
    this.ctx = ctx;
    this.stopping = false;
    this.counts = {
      sessionsStarted: 0,
      startsReplayed: 0,
      sessionsStopped: 0,
      sessionsAdminStopped: 0,
      sessionsExtended: 0,
      expiriesRequested: 0,
      staticCreated: 0,
      staticDeleted: 0,
      retries: 0,
    };
    this.staticRules = new Set();
  }

  /** A random instance that is up (any, if none is: the request then fails and is counted as such). */
  base() {
    const up = this.ctx.instances.filter((i) => i.up);
    return pickOne(up.length ? up : this.ctx.instances).url;
  }

  /** A request retried on another instance while no answer comes (an instance was killed under it). */
  async call(token, method, path, body, { retries = 0, headers } = {}) {
    for (let attempt = 0; ; attempt++) {
      const answer = await request(() => this.base(), token, method, path, body, { tally: this.ctx.tally, headers });
      if (answer.status !== 0 || attempt >= retries || this.stopping) return answer;
      this.counts.retries++;
      await sleep(300);
    }
  }

  async run(until) {
    const { org } = this.ctx;
    const loops = [
      ...org.members.map((member) => this.memberLoop(member, until)),
      ...Array.from({ length: this.ctx.adminClients }, () => this.adminLoop(until)),
    ];
    await Promise.all(loops);
  }

  async memberLoop(member, until) {
    const mine = [];
    await sleep(Math.random() * 1000);
    while (!this.stopping && Date.now() < until) {
      const roll = Math.random();
      if (roll < 0.35 || mine.length === 0) await this.start(member, mine);
      else if (roll < 0.55) await this.stop(member, mine);
      else if (roll < 0.7) await this.extend(member, mine);
      else if (roll < 0.8) await this.expireSoon(mine);
      else await this.call(member.token, 'GET', `/sessions/${pickOne(mine)}`);
      await sleep(this.ctx.thinkMs * (0.5 + Math.random()));
    }
  }

  async start(member, mine) {
    const which = Math.random();
    const body = {
      ...(which < 0.8 ? { ipv4Address: pickOne(IPV4) } : {}),
      ...(which >= 0.7 ? { ipv6Address: pickOne(IPV6) } : {}),
      durationHours: 1 + Math.floor(Math.random() * 3),
      ...(Math.random() < 0.5 ? { resourceIds: subset(member.resourceIds, 1, member.resourceIds.length) } : {}),
    };
    // The same key on a retry: a start that committed before its instance died is answered again, not repeated.
    const headers = { 'idempotency-key': randomUUID() };
    const first = await this.call(member.token, 'POST', '/sessions', body, { headers });
    let answer = first;
    if (first.status === 0) answer = await this.call(member.token, 'POST', '/sessions', body, { headers, retries: 5 });
    if (answer.status !== 201) return;
    if (first.status === 0) this.counts.startsReplayed++;
    if (!mine.includes(answer.body.id)) {
      mine.push(answer.body.id);
      this.counts.sessionsStarted++;
    }
    if (mine.length > 12) mine.shift();
  }

  async stop(member, mine) {
    const id = pickOne(mine);
    const answer = await this.call(member.token, 'POST', `/sessions/${id}/stop`, undefined, { retries: 5 });
    if (answer.status === 200) this.counts.sessionsStopped++;
    if (answer.status === 200 || answer.code === 'SESSION_NOT_ACTIVE') mine.splice(mine.indexOf(id), 1);
  }

  async extend(member, mine) {
    const answer = await this.call(member.token, 'POST', `/sessions/${pickOne(mine)}/extend`, { additionalHours: 1 });
    if (answer.status === 200) this.counts.sessionsExtended++;
  }

  /** Durations are whole hours: expiry is brought forward in SQL, to 0-4 s from now. */
  async expireSoon(mine) {
    const id = mine.splice(Math.floor(Math.random() * mine.length), 1)[0];
    const { rowCount } = await this.ctx.pool.query(
      `UPDATE sessions SET expires_at = now() + random() * interval '4 seconds' WHERE id = $1 AND status IN ('PENDING', 'ACTIVE', 'PARTIAL')`,
      [id],
    );
    this.counts.expiriesRequested += rowCount;
  }

  async adminLoop(until) {
    const { admin } = this.ctx.org;
    await sleep(Math.random() * 1000);
    while (!this.stopping && Date.now() < until) {
      const roll = Math.random();
      if (roll < 0.45 && this.staticRules.size < 12) await this.createStatic(admin);
      else if (roll < 0.8 && this.staticRules.size > 0) await this.deleteStatic(admin);
      else if (roll < 0.9) await this.adminStop(admin);
      else await this.call(admin.token, 'GET', '/static-ip-rules');
      await sleep(this.ctx.thinkMs * 2 * (0.5 + Math.random()));
    }
  }

  async createStatic(admin) {
    const body = {
      label: `soak ${randomUUID().slice(0, 8)}`,
      ipAddress: pickOne(STATIC_ADDRESSES),
      resourceIds: subset(
        this.ctx.org.resources.map((r) => r.id),
        1,
        4,
      ),
    };
    const headers = { 'idempotency-key': randomUUID() };
    const answer = await this.call(admin.token, 'POST', '/static-ip-rules', body, { headers, retries: 5 });
    if (answer.status === 201 && !this.staticRules.has(answer.body.id)) {
      this.staticRules.add(answer.body.id);
      this.counts.staticCreated++;
    }
  }

  async deleteStatic(admin) {
    const id = pickOne([...this.staticRules]);
    const first = await this.call(admin.token, 'DELETE', `/static-ip-rules/${id}`);
    // After a lost answer the rule may be gone already: 404 on the retry means the first one did it.
    const answer = first.status === 0 ? await this.call(admin.token, 'DELETE', `/static-ip-rules/${id}`, undefined, { retries: 5 }) : first;
    if (answer.status === 204 || (first.status === 0 && answer.code === 'STATIC_IP_RULE_NOT_FOUND')) {
      this.staticRules.delete(id);
      this.counts.staticDeleted++;
    }
  }

  async adminStop(admin) {
    const live = await this.call(admin.token, 'GET', '/sessions/admin?status=ACTIVE');
    if (live.status !== 200 || !Array.isArray(live.body) || live.body.length === 0) return;
    const answer = await this.call(admin.token, 'POST', `/sessions/admin/${pickOne(live.body).id}/stop`, undefined, { retries: 5 });
    if (answer.status === 200) this.counts.sessionsAdminStopped++;
  }
}

module.exports = { SoakClients, IPV4, IPV6, STATIC_ADDRESSES };
