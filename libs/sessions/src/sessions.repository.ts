import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Session, SessionRule, SessionStatus } from '@app/access';
import { prepared, TxHost } from '@app/database';

export interface SessionWithRules {
  session: Session;
  rules: SessionRule[];
}

export interface ReachableResource {
  id: string;
  name: string;
}

/** Reads of sessions, always scoped by organization; writes go through the engine's SessionOpening and SessionLifecycle. */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly txHost: TxHost,
  ) {}

  async find(organizationId: string, id: string, userId?: string): Promise<SessionWithRules | undefined> {
    const session = await this.txHost.tx.getRepository(Session).findOneBy({ organizationId, id, ...(userId ? { userId } : {}) });
    if (!session) {
      return undefined;
    }
    const [withRules] = await this.withRules([session]);
    return withRules;
  }

  async list(organizationId: string, filter: { userId?: string; status?: SessionStatus }, limit = 500): Promise<SessionWithRules[]> {
    const found = await this.sessions.find({
      where: { organizationId, ...(filter.userId ? { userId: filter.userId } : {}), ...(filter.status ? { status: filter.status } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
    });
    return this.withRules(found);
  }

  /**
   * For a start, after `RolesRepository.lockUserForStart`: the active resources among `ids` (all of
   * the organization's when null), locked for share so that a delete of one waits for this start,
   * or this start sees it gone; and, when `countLive` (a cap is set), the user's live sessions. One
   * statement: the count needs no lock of its own, since a session of this user is only ever
   * started under the user's row lock, which this transaction holds.
   */
  async lockResourcesCountingLive(
    organizationId: string,
    userId: string,
    ids: string[] | null,
    countLive: boolean,
  ): Promise<{ live: number; resources: ReachableResource[] }> {
    const parameters: unknown[] = [organizationId];
    const live = countLive
      ? `(SELECT count(*)::int FROM sessions WHERE organization_id = $1 AND user_id = $${parameters.push(userId)}
           AND status IN ('PENDING', 'ACTIVE', 'PARTIAL'))`
      : '0';
    const among = ids ? `AND id = ANY($${parameters.push(ids)})` : '';
    const [row]: Array<{ live: number; ids: string[]; names: string[] }> = await this.txHost.tx.query(
      prepared(`WITH locked AS (SELECT id, name FROM resources WHERE organization_id = $1 AND is_active ${among} ORDER BY id FOR SHARE)
       SELECT ${live} AS live, ARRAY(SELECT id FROM locked ORDER BY id)::text[] AS ids, ARRAY(SELECT name FROM locked ORDER BY id)::text[] AS names`),
      parameters,
    );
    return { live: row.live, resources: row.ids.map((id, i) => ({ id, name: row.names[i] })) };
  }

  async lockForExtend(organizationId: string, id: string, userId: string): Promise<Session | null> {
    return this.txHost.tx
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.organizationId = :organizationId AND s.id = :id AND s.userId = :userId', { organizationId, id, userId })
      .setLock('pessimistic_write')
      .getOne();
  }

  async setExpiry(id: string, expiresAt: Date): Promise<void> {
    await this.txHost.tx.getRepository(Session).update({ id }, { expiresAt });
  }

  private async withRules(sessions: Session[]): Promise<SessionWithRules[]> {
    if (sessions.length === 0) {
      return [];
    }
    const rules = await this.txHost.tx.getRepository(SessionRule).find({
      where: { sessionId: In(sessions.map((s) => s.id)) },
      order: { resourceName: 'ASC', ipVersion: 'ASC' },
    });
    return sessions.map((session) => ({ session, rules: rules.filter((rule) => rule.sessionId === session.id) }));
  }
}
