import { Injectable } from '@nestjs/common';
import { ClsService, ClsStore } from 'nestjs-cls';
import { UnauthorizedError } from '../errors/domain-error';
import { Principal } from './principal';

export interface RequestContextStore extends ClsStore {
  requestId?: string;
  principal?: Principal;
  ip?: string;
  userAgent?: string;
  /** The matched route handler, so error-time listeners can read its metadata. */
  routeHandler?: (...args: unknown[]) => unknown;
  /** The `:id` path parameter of the matched route, if any. */
  targetId?: string;
}

/** Who is asking, from where, under which request id: read by services, never sent by clients. */
@Injectable()
export class RequestContext {
  constructor(private readonly cls: ClsService<RequestContextStore>) {}

  get isActive(): boolean {
    return this.cls.isActive();
  }

  get requestId(): string | undefined {
    return this.cls.isActive() ? this.cls.get('requestId') : undefined;
  }

  get principal(): Principal | undefined {
    return this.cls.isActive() ? this.cls.get('principal') : undefined;
  }

  get ip(): string | undefined {
    return this.cls.isActive() ? this.cls.get('ip') : undefined;
  }

  get userAgent(): string | undefined {
    return this.cls.isActive() ? this.cls.get('userAgent') : undefined;
  }

  get routeHandler(): RequestContextStore['routeHandler'] {
    return this.cls.isActive() ? this.cls.get('routeHandler') : undefined;
  }

  get targetId(): string | undefined {
    return this.cls.isActive() ? this.cls.get('targetId') : undefined;
  }

  requirePrincipal(): Principal {
    const principal = this.principal;
    if (!principal) {
      throw new UnauthorizedError();
    }
    return principal;
  }

  set<K extends keyof RequestContextStore>(key: K, value: RequestContextStore[K]): void {
    if (this.cls.isActive()) {
      this.cls.set(key, value);
    }
  }
}
