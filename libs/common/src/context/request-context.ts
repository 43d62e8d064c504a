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

/**
 * Who is asking, from where, under which request id: read by services, never sent by clients.
 * Reads and writes the context's store object directly: the keys are flat, and ClsService's
 * get/set(key) split every key as a dotted path, on every call.
 */
@Injectable()
export class RequestContext {
  constructor(private readonly cls: ClsService<RequestContextStore>) {}

  /** The current request's store, or undefined outside one. */
  private get store(): RequestContextStore | undefined {
    return this.cls.get();
  }

  get isActive(): boolean {
    return this.store !== undefined;
  }

  get requestId(): string | undefined {
    return this.store?.requestId;
  }

  get principal(): Principal | undefined {
    return this.store?.principal;
  }

  get ip(): string | undefined {
    return this.store?.ip;
  }

  get userAgent(): string | undefined {
    return this.store?.userAgent;
  }

  get routeHandler(): RequestContextStore['routeHandler'] {
    return this.store?.routeHandler;
  }

  get targetId(): string | undefined {
    return this.store?.target?.id;
  }

  get targetName(): string | undefined {
    return this.store?.target?.name;
  }

  /** Lets a refusal that comes later (after a rollback) still say which object it was about. */
  nameTarget(name: string): void {
    const target = this.store?.target;
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
    const store = this.store;
    if (store) {
      store[key] = value;
    }
  }
}
