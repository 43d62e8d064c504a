/**
 * Asks `condition` every `intervalMs` until it holds or `timeoutMs` has passed; answers whether it
 * held. For state another process or a background task reaches on its own time.
 */
export async function pollUntil(condition: () => Promise<boolean>, timeoutMs: number, intervalMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
