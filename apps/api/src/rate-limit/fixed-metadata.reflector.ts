import { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

type Target = Type<unknown> | Function;

/**
 * A Reflector for the throttler guard, which asks for six metadata keys of every throttler on
 * every request (seven throttlers here): a few dozen reflect-metadata lookups walking prototype
 * chains, a few percent of a small authenticated read's CPU. Route metadata is fixed once the
 * app is built, so each key is read once per handler and class. Lookups of other shapes go to
 * Nest's Reflector as they are.
 */
export class FixedMetadataReflector extends Reflector {
  private readonly byHandler = new WeakMap<Target, WeakMap<Target, Map<unknown, unknown>>>();
  /** The guard asks a dozen keys of one route in a row: its answers, without the two WeakMap lookups. */
  private last?: { handler: Target; classRef: Target; values: Map<unknown, unknown> };

  override getAllAndOverride<TResult = unknown, TKey = unknown>(metadataKey: TKey, targets: Target[]): TResult {
    if (targets.length !== 2 || !targets[0] || !targets[1]) {
      return super.getAllAndOverride<TResult, TKey>(metadataKey, targets);
    }
    const values = this.valuesOf(targets[0], targets[1]);
    if (!values.has(metadataKey)) {
      values.set(metadataKey, super.getAllAndOverride<TResult, TKey>(metadataKey, targets));
    }
    return values.get(metadataKey) as TResult;
  }

  private valuesOf(handler: Target, classRef: Target): Map<unknown, unknown> {
    const last = this.last;
    if (last && last.handler === handler && last.classRef === classRef) {
      return last.values;
    }
    let byClass = this.byHandler.get(handler);
    if (!byClass) {
      byClass = new WeakMap();
      this.byHandler.set(handler, byClass);
    }
    let values = byClass.get(classRef);
    if (!values) {
      values = new Map();
      byClass.set(classRef, values);
    }
    this.last = { handler, classRef, values };
    return values;
  }
}
