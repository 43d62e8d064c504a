'use strict';
// Watches the invariant while the soak runs, not only at the end: every few seconds it compares
// what the fakes hold with what live holders need, leaving out the rules the engine is working on
// (grants PENDING or REMOVING). An entry that stays wrong across two looks is a leak: a rule left
// open with no holder, or a needed rule missing. Reconcile repairs such rules within
// RECONCILE_INTERVAL_MINUTES, so the end state can be clean while the engine lost track meanwhile;
// this says when, where and whose rule it was (AWS keeps EntryGuard's description next to a rule).
const { loadAppModule } = require('../lib/app-code');
const { neededState, heldState } = require('../engine/firewall');
const { sleep } = require('../engine/http');

const firewallState = loadAppModule('test/fakes/firewall-state.ts');

/** Grants the engine is still working on, as "key cidr" entries: not judged yet. */
async function inFlight(pool) {
  const { rows } = await pool.query(
    `SELECT r.provider, r.resource_identifier, r.region, r.config, g.cidr FROM access_grants g JOIN resources r ON r.id = g.resource_id
     WHERE g.status IN ('PENDING', 'REMOVING')`,
  );
  const state = firewallState.expectedFirewallState(
    rows.map((row) => ({
      target: { provider: row.provider, resourceIdentifier: row.resource_identifier, region: row.region, config: row.config },
      cidrs: [row.cidr],
    })),
  );
  return new Set([...state].flatMap(([key, cidrs]) => [...cidrs].map((cidr) => `${key} ${cidr}`)));
}

/** The description AWS shows next to a rule ("EntryGuard session <id>"), from a GET /state answer. */
function descriptionOf(snapshot, entry) {
  const [key, cidr] = entry.split(' ');
  const [provider, region, groupId] = key.split(':');
  if (provider !== 'aws') return null;
  const rule = snapshot.aws.groups[region]?.[groupId]?.ingress.find((r) => firewallState.canonical(r.cidr) === cidr);
  return rule?.description ?? null;
}

/** What the database says about the holder a description names, right now. */
async function holderNow(pool, description) {
  const session = /session ([0-9a-f-]{36})/.exec(description ?? '');
  if (session) {
    const { rows } = await pool.query(
      `SELECT s.status, s.ended_reason, s.ended_at, string_agg(r.status || '/' || r.holds, ',') AS rules
       FROM sessions s JOIN session_rules r ON r.session_id = s.id WHERE s.id = $1 GROUP BY s.id`,
      [session[1]],
    );
    return rows[0]
      ? `session ${rows[0].status}/${rows[0].ended_reason ?? '-'} ended ${rows[0].ended_at?.toISOString() ?? '-'} rules ${rows[0].rules}`
      : 'session gone';
  }
  const rule = /static rule ([0-9a-f-]{36})/.exec(description ?? '');
  if (rule) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM static_ip_rules WHERE id = $1`, [rule[1]]);
    return rows[0].n ? 'static rule still there' : 'static rule deleted';
  }
  return 'unknown holder';
}

class LeakWatch {
  constructor({ pool, fakes, everyMs = 5000, log }) {
    Object.assign(this, { pool, fakes, everyMs, log });
    this.stopping = false;
    this.suspects = new Map(); // entry -> first seen
    this.leaks = [];
    this.reported = new Set();
    this.errors = 0;
  }

  async look() {
    const inflight = await inFlight(this.pool);
    const snapshot = await this.fakes.state();
    const needed = await neededState(this.pool);
    const diff = firewallState.diffFirewallState(heldState(snapshot), needed);
    const now = Date.now();
    const seen = new Set();
    for (const [kind, entries] of [
      ['left open', diff.extra],
      ['missing', diff.missing],
    ]) {
      for (const entry of entries.filter((e) => !inflight.has(e))) {
        const id = `${kind} ${entry}`;
        seen.add(id);
        if (!this.suspects.has(id)) {
          this.suspects.set(id, now);
        } else if (!this.reported.has(id)) {
          this.reported.add(id);
          const description = descriptionOf(snapshot, entry);
          const leak = {
            kind,
            entry,
            since: new Date(this.suspects.get(id)),
            description,
            holder: await holderNow(this.pool, description),
          };
          this.leaks.push(leak);
          this.log(`LEAK (${kind}) ${entry} since ${leak.since.toISOString().slice(11, 19)}: ${description ?? ''} -> ${leak.holder}`);
        }
      }
    }
    for (const id of [...this.suspects.keys()]) if (!seen.has(id)) this.suspects.delete(id);
  }

  async run() {
    while (!this.stopping) {
      await this.look().catch(() => this.errors++);
      for (let waited = 0; waited < this.everyMs && !this.stopping; waited += 250) await sleep(250);
    }
  }

  async stop() {
    this.stopping = true;
  }
}

module.exports = { LeakWatch };
