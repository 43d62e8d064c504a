'use strict';
// Did a firewall's work ever outlive its lease? A trigger on resource_sync (added to the soak's
// throwaway database only, not part of the app's schema) logs every claim (leased_until set) and
// every release (leased_until cleared, nothing else of the claim's bookkeeping changed). Two signs
// of a sync that ran past ENGINE_LEASE_SECONDS while another instance took the firewall over:
//   - a claim of a firewall whose previous lease was never released, outside the few seconds after
//     a SIGKILL (a killed instance never releases: that is what the lease is for);
//   - a release of a firewall that was already released (the late holder lets go of the lease the
//     new holder took, so a third one may claim it too).
// A renewal (the holder moves its own lease's end before a provider call) also sets leased_until
// over a lease not released: it is told apart by its time, since a claim only takes a lease that
// has run out, while a renewal comes before the lease's end.

async function installLeaseLog(pool) {
  await pool.query(`
    CREATE TABLE soak_lease_log (id bigserial PRIMARY KEY, resource_id uuid NOT NULL, kind text NOT NULL,
      old_lease timestamptz, new_lease timestamptz, at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE FUNCTION soak_lease_log() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.leased_until IS NOT NULL AND NEW.leased_until IS DISTINCT FROM OLD.leased_until THEN
        INSERT INTO soak_lease_log (resource_id, kind, old_lease, new_lease) VALUES (NEW.resource_id, 'claim', OLD.leased_until, NEW.leased_until);
      ELSIF NEW.leased_until IS NULL AND OLD.generation = NEW.generation AND OLD.health IS NOT DISTINCT FROM NEW.health
            AND OLD.stale_cidrs IS NOT DISTINCT FROM NEW.stale_cidrs THEN
        INSERT INTO soak_lease_log (resource_id, kind, old_lease, new_lease) VALUES (NEW.resource_id, 'release', OLD.leased_until, NULL);
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER soak_lease_log BEFORE UPDATE ON resource_sync FOR EACH ROW EXECUTE FUNCTION soak_lease_log();
  `);
}

/**
 * @param killTimes Dates of the SIGKILLs: a takeover of a lease that was taken before a kill and
 *                  ran out after it is expected (its holder may be the killed instance).
 */
async function leaseFindings(pool, killTimes, leaseSeconds, graceSeconds = 2) {
  const { rows } = await pool.query(
    `SELECT l.kind, l.old_lease, l.at, r.name FROM soak_lease_log l JOIN resources r ON r.id = l.resource_id
     WHERE (l.kind = 'claim' AND l.old_lease IS NOT NULL) OR (l.kind = 'release' AND l.old_lease IS NULL) ORDER BY l.at`,
  );
  const { rows: totals } = await pool.query(`SELECT kind, count(*)::int AS n FROM soak_lease_log GROUP BY kind`);
  // The lost lease was taken at old_lease - leaseSeconds; its holder may have been killed while holding it.
  const killed = (r) =>
    killTimes.some((k) => k >= r.old_lease - (leaseSeconds + graceSeconds) * 1000 && k <= r.old_lease.getTime() + graceSeconds * 1000);
  const renewals = rows.filter((r) => r.kind === 'claim' && r.at < r.old_lease);
  const takeovers = rows.filter((r) => r.kind === 'claim' && r.at >= r.old_lease);
  return {
    claims: totals.find((t) => t.kind === 'claim')?.n ?? 0,
    releases: totals.find((t) => t.kind === 'release')?.n ?? 0,
    renewals: renewals.length,
    takeoversAfterKill: takeovers.filter(killed).length,
    takeovers: takeovers
      .filter((r) => !killed(r))
      .map((r) => `${r.at.toISOString().slice(11, 23)} ${r.name} (lease ran out ${r.old_lease.toISOString().slice(11, 23)})`),
    doubleReleases: rows.filter((r) => r.kind === 'release').map((r) => `${r.at.toISOString().slice(11, 23)} ${r.name}`),
  };
}

module.exports = { installLeaseLog, leaseFindings };
