import { Inject, Injectable } from '@nestjs/common';
import { IdempotencyStore, SessionLifecycle, SessionOpening } from '@app/access';
import { AuditService } from '@app/audit';
import { Principal, RequestContext, UnauthorizedError } from '@app/common';
import { TxHost } from '@app/database';
import { ResourceNotFoundError } from '@app/resources';
import { RolesRepository } from '@app/users';
import { AdminSessionQueryDto, CreateSessionDto, ExtendSessionDto, SessionDto } from './dto/session.dto';
import { sessionAddresses } from './session-address';
import { toSessionDto } from './session.mapper';
import { SESSION_SETTINGS, SessionSettings } from './session-settings';
import {
  DurationExceedsLimitError,
  NoResourcesAssignedError,
  SessionLimitReachedError,
  SessionNotActiveError,
  SessionNotFoundError,
} from './sessions.errors';
import { SessionsRepository } from './sessions.repository';

const HOUR_MS = 3_600_000;

/** The rules of sessions (§13): who reaches what, for how long, how many at once. The engine does the rest. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repository: SessionsRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly opening: SessionOpening,
    private readonly roles: RolesRepository,
    private readonly idempotency: IdempotencyStore,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
    @Inject(SESSION_SETTINGS) private readonly settings: SessionSettings,
  ) {}

  async start(principal: Principal, dto: CreateSessionDto, idempotencyKey: string | undefined): Promise<SessionDto> {
    const addresses = sessionAddresses(dto, this.context.ip);
    // UUIDs in any letter case name one resource.
    const requested = dto.resourceIds ? [...new Set(dto.resourceIds.map((id) => id.toLowerCase()))] : undefined;
    const { organizationId, userId } = principal;
    const scope = { organizationId, userId, operation: 'POST /sessions' };
    return this.txHost.withTransaction(async () => {
      if (idempotencyKey !== undefined) {
        const begun = await this.idempotency.begin<SessionDto>(scope, idempotencyKey, dto);
        if ('replay' in begun) {
          return begun.replay;
        }
      }
      const user = await this.roles.lockUserForStart(organizationId, userId);
      if (!user) {
        throw new UnauthorizedError();
      }
      const isAdmin = principal.role === 'ORG_ADMIN';
      // An admin reaches every resource, for as long as the global cap allows; a member what their roles give.
      const access = isAdmin ? null : user;
      const cap = Math.min(this.settings.maxHours, access?.maxSessionHours ?? Infinity);
      const durationHours = dto.durationHours ?? Math.min(this.settings.defaultHours, cap);
      if (durationHours > cap) {
        throw DurationExceedsLimitError.forStart(cap);
      }
      const reachable = access?.resourceIds ?? null;
      const wanted = requested ?? reachable;
      const capped = this.settings.maxConcurrent > 0;
      const { live, resources } = await this.repository.lockResourcesCountingLive(organizationId, userId, wanted, capped);
      if (capped && live >= this.settings.maxConcurrent) {
        throw new SessionLimitReachedError(this.settings.maxConcurrent);
      }
      if (requested && reachable) {
        const outside = requested.find((id) => !reachable.includes(id));
        if (outside) {
          throw new ResourceNotFoundError(outside);
        }
      }
      if (requested && isAdmin) {
        const known = new Set(resources.map((r) => r.id));
        const missing = requested.find((id) => !known.has(id));
        if (missing && !(await this.existsInactive(organizationId, missing))) {
          throw new ResourceNotFoundError(missing);
        }
      }
      if (resources.length === 0) {
        throw new NoResourcesAssignedError();
      }
      const startedAt = new Date();
      const opened = await this.opening.open({
        organizationId,
        userId,
        userName: user.name,
        userEmail: user.email,
        ...addresses,
        startedAt,
        expiresAt: new Date(startedAt.getTime() + durationHours * HOUR_MS),
        resources: resources.map((r) => ({ resourceId: r.id, resourceName: r.name })),
      });
      await this.audit.record({
        eventType: 'SESSION_START',
        targetType: 'SESSION',
        targetId: opened.session.id,
        targetName: user.email,
        details: { ...addresses, durationHours, resourceCount: resources.length },
      });
      const created = toSessionDto(opened);
      if (idempotencyKey !== undefined) {
        await this.idempotency.finish(scope, idempotencyKey, 201, created);
      }
      return created;
    });
  }

  async listOwn(principal: Principal): Promise<SessionDto[]> {
    return (await this.repository.list(principal.organizationId, { userId: principal.userId })).map(toSessionDto);
  }

  async listAll(principal: Principal, query: AdminSessionQueryDto): Promise<SessionDto[]> {
    return (await this.repository.list(principal.organizationId, query)).map(toSessionDto);
  }

  /** Own session; an admin may read any of the organization's. */
  async get(principal: Principal, id: string): Promise<SessionDto> {
    // An admin reads any session of the organization; a key only its creator's own (§15).
    const anyone = principal.role === 'ORG_ADMIN' && principal.kind === 'user';
    const found = await this.repository.find(principal.organizationId, id, anyone ? undefined : principal.userId);
    if (!found) {
      throw new SessionNotFoundError(id);
    }
    return toSessionDto(found);
  }

  async stop(principal: Principal, id: string, asAdmin: boolean): Promise<SessionDto> {
    return this.txHost.withTransaction(async () => {
      const found = await this.repository.find(principal.organizationId, id, asAdmin ? undefined : principal.userId);
      if (!found) {
        throw new SessionNotFoundError(id);
      }
      this.context.nameTarget(found.session.userEmail);
      const ended = await this.lifecycle.end(principal.organizationId, id, asAdmin ? 'ADMIN' : 'MANUAL');
      if (!ended) {
        const now = await this.repository.find(principal.organizationId, id);
        throw new SessionNotActiveError(now?.session.status ?? found.session.status);
      }
      return this.mustFind(principal.organizationId, id);
    });
  }

  async extend(principal: Principal, id: string, dto: ExtendSessionDto): Promise<SessionDto> {
    return this.txHost.withTransaction(async () => {
      const session = await this.repository.lockForExtend(principal.organizationId, id, principal.userId);
      if (!session) {
        throw new SessionNotFoundError(id);
      }
      this.context.nameTarget(session.userEmail);
      if (session.status !== 'ACTIVE' && session.status !== 'PARTIAL') {
        throw new SessionNotActiveError(session.status);
      }
      if (session.expiresAt.getTime() <= Date.now()) {
        throw new SessionNotActiveError('EXPIRING');
      }
      const cap = await this.durationCap(principal);
      const usedMs = session.expiresAt.getTime() - session.startedAt.getTime();
      const expiresAt = new Date(session.expiresAt.getTime() + dto.additionalHours * HOUR_MS);
      if (usedMs + dto.additionalHours * HOUR_MS > cap * HOUR_MS) {
        throw DurationExceedsLimitError.forExtend(cap, Math.max(0, Math.floor((cap * HOUR_MS - usedMs) / HOUR_MS)));
      }
      await this.repository.setExpiry(id, expiresAt);
      await this.audit.record({
        eventType: 'SESSION_EXTEND',
        targetType: 'SESSION',
        targetId: id,
        targetName: session.userEmail,
        details: { additionalHours: dto.additionalHours, expiresAt: expiresAt.toISOString() },
      });
      return this.mustFind(principal.organizationId, id);
    });
  }

  /** The longest a session of this principal may last from its start: the global cap, and for members their roles' caps. */
  private async durationCap(principal: Principal): Promise<number> {
    if (principal.role === 'ORG_ADMIN') {
      return this.settings.maxHours;
    }
    const roleCap = await this.roles.maxSessionHoursForUser(principal.organizationId, principal.userId);
    return Math.min(this.settings.maxHours, roleCap ?? Infinity);
  }

  private async existsInactive(organizationId: string, id: string): Promise<boolean> {
    const found: unknown[] = await this.txHost.tx.query(`SELECT 1 FROM resources WHERE organization_id = $1 AND id = $2`, [
      organizationId,
      id,
    ]);
    return found.length > 0;
  }

  private async mustFind(organizationId: string, id: string): Promise<SessionDto> {
    const found = await this.repository.find(organizationId, id);
    if (!found) {
      throw new SessionNotFoundError(id);
    }
    return toSessionDto(found);
  }
}
