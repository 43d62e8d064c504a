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
  /**
   * The object the request acts on: the `:id` path parameter, and its name once a service has
   * found it. One mutable object, because transactions run in child contexts whose own writes
   * do not outlive them, and a refusal is recorded after its transaction is gone.
   */
  target?: { id?: string; name?: string };
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
    return this.cls.isActive() ? this.cls.get('target')?.id : undefined;
  }

  get targetName(): string | undefined {
    return this.cls.isActive() ? this.cls.get('target')?.name : undefined;
  }

  /** Lets a refusal that comes later (after a rollback) still say which object it was about. */
  nameTarget(name: string): void {
    const target = this.cls.isActive() ? this.cls.get('target') : undefined;
    if (target) {
      target.name = name;
    }
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
