/** Polls `check` every 25 ms until it returns a truthy value; the deadline only stops a broken test from hanging. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
