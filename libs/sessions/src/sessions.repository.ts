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

/** Reads of sessions, always scoped by organization; writes go through the engine's SessionLifecycle. */
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
   * Locks the user's row for the start (so concurrent starts count one after another, and a
   * deletion of the user waits for the start or the start sees it gone); returns whether the user
   * is still there and active.
   */
  async lockStartingUser(organizationId: string, userId: string): Promise<{ name: string | null; email: string } | undefined> {
    const [row]: Array<{ name: string | null; email: string }> = await this.txHost.tx.query(
      prepared(`SELECT name, email FROM users WHERE organization_id = $1 AND id = $2 AND is_active FOR UPDATE`),
      [organizationId, userId],
    );
    return row;
  }

  async countLive(organizationId: string, userId: string): Promise<number> {
    return this.txHost.tx.getRepository(Session).countBy({ organizationId, userId, status: In(['PENDING', 'ACTIVE', 'PARTIAL']) });
  }

  /**
   * The active resources among `ids` (all of the organization's when null), locked for share so
   * that a delete of one waits for this start, or this start sees it gone.
   */
  async lockActiveResources(organizationId: string, ids: string[] | null): Promise<ReachableResource[]> {
    return this.txHost.tx.query(
      prepared(`SELECT id, name FROM resources WHERE organization_id = $1 AND is_active ${ids ? 'AND id = ANY($2)' : ''}
       ORDER BY id FOR SHARE`),
      ids ? [organizationId, ids] : [organizationId],
    );
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
