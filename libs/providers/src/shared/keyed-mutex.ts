/**
 * Serialises read-modify-write sequences per key inside this process, so two concurrent sessions
 * on the same route cannot overwrite each other's whitelist edit. (Across processes the
 * provider offers no compare-and-set; see the APISIX adapter.)
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(task);
    this.tails.set(key, current);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === current) {
        this.tails.delete(key);
      }
    }
  }
}
