'use strict';
// The engine's invariant, as the tests state it: once its due work is done, the fakes hold exactly
// the rules that live holders need. "Needed" comes from SQL (grants with a holder, as
// test/engine/engine-harness.ts neededStateIn), "held" from the fakes' GET /state; the keys and the
// diff are test/fakes/firewall-state.ts itself, transpiled in memory (no copy of its logic here).
const { loadAppModule } = require('../lib/app-code');

const firewallState = loadAppModule('test/fakes/firewall-state.ts');

/** Grants with at least one holder (a session's rule or a static rule's target with holds = true). */
async function neededState(pool) {
  const { rows } = await pool.query(
    `SELECT r.provider, r.resource_identifier, r.region, r.config, g.cidr FROM access_grants g JOIN resources r ON r.id = g.resource_id
     WHERE EXISTS (SELECT 1 FROM session_rules s WHERE s.grant_id = g.id AND s.holds)
        OR EXISTS (SELECT 1 FROM static_ip_rule_resources t WHERE t.grant_id = g.id AND t.holds)`,
  );
  return firewallState.expectedFirewallState(
    rows.map((row) => ({
      target: { provider: row.provider, resourceIdentifier: row.resource_identifier, region: row.region, config: row.config },
      cidrs: [row.cidr],
    })),
  );
}

/** What the fakes hold, from a GET /state answer. */
function heldState(snapshot) {
  return firewallState.firewallState({ aws: snapshot.aws.groups, apisix: snapshot.apisix.routes });
}

/**
 * { missing, extra }: "key cidr" entries a live holder needs and the fakes lack, and entries the
 * fakes hold that no live holder needs ("left behind"); plus how many entries the fakes hold.
 */
async function checkInvariant(pool, fakes) {
  const needed = await neededState(pool);
  const held = heldState(await fakes.state());
  const diff = firewallState.diffFirewallState(held, needed);
  return { ...diff, held: firewallState.countEntries(held), needed: firewallState.countEntries(needed) };
}

/** Work the engine still has: grants being applied or removed, sessions being decided or ended. */
async function openWork(pool) {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM access_grants WHERE status = 'PENDING')::int AS pending_grants,
            (SELECT count(*) FROM access_grants WHERE status = 'REMOVING')::int AS removing_grants,
            (SELECT count(*) FROM sessions WHERE status = 'PENDING')::int AS pending_sessions,
            (SELECT count(*) FROM sessions WHERE status = 'EXPIRING')::int AS expiring_sessions`,
  );
  const row = rows[0];
  return { ...row, total: row.pending_grants + row.removing_grants + row.pending_sessions + row.expiring_sessions };
}

/**
 * Waits (up to timeoutMs) until the engine has nothing left to do. Live sessions past their end
 * count as work too (expiry has not run yet). Returns { settled, waitedMs, open }.
 */
async function waitSettled(pool, timeoutMs, { pollMs = 250 } = {}) {
  const started = Date.now();
  for (;;) {
    const open = await openWork(pool);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM sessions WHERE status IN ('PENDING', 'ACTIVE', 'PARTIAL') AND expires_at <= now()`,
    );
    open.overdue_sessions = rows[0].n;
    open.total += open.overdue_sessions;
    if (open.total === 0) return { settled: true, waitedMs: Date.now() - started, open };
    if (Date.now() - started > timeoutMs) return { settled: false, waitedMs: Date.now() - started, open };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A few of the sessions and grants still open, with their rules' states and last errors: what to look at when it does not settle. */
async function openSample(pool, limit = 5) {
  const { rows: sessions } = await pool.query(
    `SELECT s.id, s.status, s.ended_reason, s.ended_at, string_agg(r.status, ',' ORDER BY r.status) AS rules
     FROM sessions s JOIN session_rules r ON r.session_id = s.id
     WHERE s.status IN ('PENDING', 'EXPIRING') GROUP BY s.id ORDER BY s.ended_at NULLS FIRST LIMIT $1`,
    [limit],
  );
  const { rows: grants } = await pool.query(
    `SELECT g.cidr, g.status, g.attempts, g.next_attempt_at, g.last_error, r.name AS resource FROM access_grants g JOIN resources r ON r.id = g.resource_id
     WHERE g.status IN ('PENDING', 'REMOVING') ORDER BY g.updated_at LIMIT $1`,
    [limit],
  );
  return { sessions, grants };
}

module.exports = { checkInvariant, openWork, waitSettled, openSample, neededState, heldState };
