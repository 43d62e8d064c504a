import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The engine's outcome writes as functions, each one round trip instead of a transaction of five or
 * six (BEGIN, lock the grants, write, lock the sessions, count, COMMIT). Under a burst every round
 * trip waits for a busy event loop and a busy database, and a firewall's next sync waits for all of
 * them.
 *
 * Why functions and not one statement: a statement's snapshot is taken before it waits for a row
 * lock, so a write that waited for the grants' locks would miss the holder rows the transaction it
 * waited for added. In a VOLATILE function every statement takes a fresh snapshot (READ
 * COMMITTED), exactly as the statements of a transaction do: locks first, then the write sees
 * everything that held them. The order of locks stays the engine's: grants, holder rows, sessions.
 *
 * The session status rule (§13) lives here once, as session_next_status; `nextSessionStatus` in
 * TypeScript (for a session's answer at start and stop) is held equal to it by a test over every
 * status and mix of rules.
 */
export class EngineOutcomeFunctions1765200000000 implements MigrationInterface {
  name = 'EngineOutcomeFunctions1765200000000';

  async up(q: QueryRunner): Promise<void> {
    // PENDING until every rule is decided, then ACTIVE (all applied), PARTIAL (some) or FAILED (none);
    // an ending session is EXPIRING until nothing of it is left on a provider, then EXPIRED or CANCELLED.
    await q.query(`
      CREATE FUNCTION session_next_status(status varchar, ended_reason varchar, pending bigint, applied bigint, failed bigint, removing bigint)
      RETURNS varchar LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE
          WHEN status = 'EXPIRING' THEN CASE
            WHEN coalesce(removing, 0) > 0 OR coalesce(pending, 0) > 0 OR coalesce(applied, 0) > 0 THEN status
            WHEN ended_reason = 'EXPIRED' THEN 'EXPIRED' ELSE 'CANCELLED' END
          WHEN status NOT IN ('PENDING', 'ACTIVE', 'PARTIAL') THEN status
          WHEN coalesce(pending, 0) > 0 THEN status
          WHEN coalesce(failed, 0) = 0 AND coalesce(applied, 0) > 0 THEN 'ACTIVE'
          WHEN coalesce(applied, 0) = 0 THEN 'FAILED'
          ELSE 'PARTIAL' END
      $$`);
    // session_next_status may answer something new: no rule PENDING, and an ending session holds nothing on a provider.
    await q.query(`
      CREATE FUNCTION session_may_settle(session_id uuid, status varchar) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT status IN ('PENDING', 'ACTIVE', 'PARTIAL', 'EXPIRING') AND NOT EXISTS (
          SELECT 1 FROM session_rules r WHERE r.session_id = session_may_settle.session_id
            AND (r.status = 'PENDING' OR (session_may_settle.status = 'EXPIRING' AND r.status IN ('REMOVING', 'APPLIED'))))
      $$`);
    // Locks (in id order) those of the sessions whose rules are all decided, skipping the ones another
    // transaction holds when skip_locked; then counts their rules (a fresh snapshot: after the locks)
    // and sets their status. One row per session locked; changed when its status moved.
    await q.query(`
      CREATE FUNCTION sessions_settle(ids uuid[], skip_locked boolean)
      RETURNS TABLE (session_id uuid, new_status varchar, changed boolean) LANGUAGE plpgsql AS $$
      DECLARE
        locked uuid[];
      BEGIN
        IF skip_locked THEN
          SELECT coalesce(array_agg(t.id), '{}') INTO locked FROM (
            SELECT s.id FROM sessions s WHERE s.id = ANY(ids) AND session_may_settle(s.id, s.status)
            ORDER BY s.id FOR UPDATE SKIP LOCKED) t;
        ELSE
          SELECT coalesce(array_agg(t.id), '{}') INTO locked FROM (
            SELECT s.id FROM sessions s WHERE s.id = ANY(ids) AND session_may_settle(s.id, s.status)
            ORDER BY s.id FOR UPDATE) t;
        END IF;
        IF cardinality(locked) = 0 THEN
          RETURN;
        END IF;
        RETURN QUERY
          WITH counts AS (
            SELECT r.session_id AS id, count(*) FILTER (WHERE r.status = 'PENDING') AS pending,
              count(*) FILTER (WHERE r.status = 'APPLIED') AS applied, count(*) FILTER (WHERE r.status = 'FAILED') AS failed,
              count(*) FILTER (WHERE r.status = 'REMOVING') AS removing
            FROM session_rules r WHERE r.session_id = ANY(locked) GROUP BY r.session_id),
          next AS (
            SELECT s.id, s.status AS current,
              session_next_status(s.status, s.ended_reason, c.pending, c.applied, c.failed, c.removing) AS status
            FROM sessions s LEFT JOIN counts c ON c.id = s.id WHERE s.id = ANY(locked)),
          updated AS (
            UPDATE sessions s SET status = n.status, ended_at = CASE WHEN n.status = 'FAILED' THEN now() ELSE s.ended_at END
            FROM next n WHERE s.id = n.id AND n.status <> n.current RETURNING s.id)
          SELECT n.id, n.status, n.status <> n.current FROM next n;
      END
      $$`);
    // A provider call's outcome: the grants locked (in the engine's order), then written with their
    // holders, then the sessions it touched settled where no one holds them. Each answers the
    // sessions it touched and could not settle, for the settler once this has committed.
    await q.query(`
      CREATE FUNCTION engine_grants_applied(grant_ids uuid[]) RETURNS uuid[] LANGUAGE plpgsql AS $$
      DECLARE
        touched uuid[];
      BEGIN
        PERFORM 1 FROM access_grants WHERE id = ANY(grant_ids) ORDER BY resource_id, cidr COLLATE "C" FOR UPDATE;
        WITH done AS (
            UPDATE access_grants SET status = 'APPLIED', applied_at = now(), last_error = NULL, attempts = attempts + 1, updated_at = now()
            WHERE id = ANY(grant_ids) AND status = 'PENDING' RETURNING id),
          static_targets AS (
            UPDATE static_ip_rule_resources SET status = 'APPLIED', applied_at = now(), error_message = NULL
            WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING'),
          rules AS (
            UPDATE session_rules SET status = 'APPLIED', applied_at = now(), error_message = NULL
            WHERE grant_id IN (SELECT id FROM done) AND holds AND status = 'PENDING' RETURNING session_rules.session_id)
        SELECT coalesce(array_agg(DISTINCT rules.session_id), '{}') INTO touched FROM rules;
        RETURN ARRAY(SELECT unnest(touched) EXCEPT SELECT session_id FROM sessions_settle(touched, true));
      END
      $$`);
    // Given up: the holders see FAILED and let go; grant_status is REMOVING when the call may have
    // reached the provider (it timed out), so that a late success is removed, else FAILED.
    await q.query(`
      CREATE FUNCTION engine_grants_failed(grant_ids uuid[], grant_status varchar, reason text) RETURNS uuid[] LANGUAGE plpgsql AS $$
      DECLARE
        touched uuid[];
      BEGIN
        PERFORM 1 FROM access_grants WHERE id = ANY(grant_ids) ORDER BY resource_id, cidr COLLATE "C" FOR UPDATE;
        WITH failed AS (
            UPDATE access_grants SET status = grant_status, attempts = attempts + 1, last_error = reason, next_attempt_at = now(), updated_at = now()
            WHERE id = ANY(grant_ids) AND status = 'PENDING' RETURNING id),
          static_targets AS (
            UPDATE static_ip_rule_resources SET status = 'FAILED', holds = false, error_message = reason
            WHERE grant_id IN (SELECT id FROM failed) AND holds),
          rules AS (
            UPDATE session_rules SET status = 'FAILED', holds = false, error_message = reason
            WHERE grant_id IN (SELECT id FROM failed) AND holds RETURNING session_rules.session_id)
        SELECT coalesce(array_agg(DISTINCT rules.session_id), '{}') INTO touched FROM rules;
        RETURN ARRAY(SELECT unnest(touched) EXCEPT SELECT session_id FROM sessions_settle(touched, true));
      END
      $$`);
    // Removed: only grants still without holders (one taken again meanwhile is PENDING now and stays).
    await q.query(`
      CREATE FUNCTION engine_grants_removed(grant_ids uuid[]) RETURNS uuid[] LANGUAGE plpgsql AS $$
      DECLARE
        touched uuid[];
      BEGIN
        PERFORM 1 FROM access_grants WHERE id = ANY(grant_ids) ORDER BY resource_id, cidr COLLATE "C" FOR UPDATE;
        WITH done AS (
            UPDATE access_grants SET status = 'REMOVED', removed_at = now(), last_error = NULL, updated_at = now()
            WHERE id = ANY(grant_ids) AND status = 'REMOVING' RETURNING id),
          rules AS (
            UPDATE session_rules SET status = 'REMOVED', removed_at = now(), error_message = NULL
            WHERE grant_id IN (SELECT id FROM done) AND status = 'REMOVING' RETURNING session_rules.session_id)
        SELECT coalesce(array_agg(DISTINCT rules.session_id), '{}') INTO touched FROM rules;
        RETURN ARRAY(SELECT unnest(touched) EXCEPT SELECT session_id FROM sessions_settle(touched, true));
      END
      $$`);
    // A claim lets go of its firewall (fenced: only while the lease is still the one it took). The
    // firewall falls due when its oldest waiting work did (or its earliest retry will), so claims
    // take the firewalls whose work has waited longest first, also work that came during a long
    // call. Nothing waiting: not due, unless a change was made meanwhile (generation moved), which
    // leaves it due now.
    await q.query(`
      CREATE FUNCTION resource_sync_release(sync_resource_id uuid, sync_generation integer, sync_reconcile_next timestamptz,
        sync_leased_until timestamptz)
      RETURNS TABLE (released boolean, next_due timestamptz) LANGUAGE sql AS $$
        WITH waiting AS (
          SELECT min(g.next_attempt_at) AS since FROM access_grants g
          WHERE g.resource_id = sync_resource_id AND g.status IN ('PENDING', 'REMOVING'))
        UPDATE resource_sync SET leased_until = NULL, reconcile_due_at = coalesce(sync_reconcile_next, reconcile_due_at),
          due_at = CASE WHEN generation = sync_generation THEN waiting.since ELSE coalesce(waiting.since, now()) END
        FROM waiting
        WHERE resource_id = sync_resource_id AND leased_until = sync_leased_until
        RETURNING true, due_at
      $$`);
    // The usual end of a sync, one round trip: its rules applied, then its firewall let go.
    await q.query(`
      CREATE FUNCTION engine_grants_applied_and_release(grant_ids uuid[], sync_resource_id uuid, sync_generation integer,
        sync_reconcile_next timestamptz, sync_leased_until timestamptz)
      RETURNS TABLE (unsettled uuid[], released boolean, next_due timestamptz) LANGUAGE plpgsql AS $$
      DECLARE
        left_over uuid[];
      BEGIN
        left_over := engine_grants_applied(grant_ids);
        RETURN QUERY SELECT left_over, coalesce(r.released, false), r.next_due
          FROM (SELECT 1) AS one LEFT JOIN resource_sync_release(sync_resource_id, sync_generation, sync_reconcile_next, sync_leased_until) AS r ON true;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION engine_grants_applied_and_release(uuid[], uuid, integer, timestamptz, timestamptz)`);
    await q.query(`DROP FUNCTION resource_sync_release(uuid, integer, timestamptz, timestamptz)`);
    await q.query(`DROP FUNCTION engine_grants_removed(uuid[])`);
    await q.query(`DROP FUNCTION engine_grants_failed(uuid[], varchar, text)`);
    await q.query(`DROP FUNCTION engine_grants_applied(uuid[])`);
    await q.query(`DROP FUNCTION sessions_settle(uuid[], boolean)`);
    await q.query(`DROP FUNCTION session_may_settle(uuid, varchar)`);
    await q.query(`DROP FUNCTION session_next_status(varchar, varchar, bigint, bigint, bigint, bigint)`);
  }
}
