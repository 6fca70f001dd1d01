/**
 * Polls `check` every 25 ms until it returns a value other than undefined, null or false (a check
 * that throws counts as not yet); the deadline only stops a broken test from hanging.
 */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
