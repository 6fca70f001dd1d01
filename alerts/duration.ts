/** Seconds in a Prometheus duration such as `30m`, `3d` or `1d30m`. */
export function durationSeconds(duration: string): number {
  const units = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
  if (!/^(\d+[smhdw])+$/.test(duration)) throw new Error(`unsupported duration: ${duration}`);
  let seconds = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)([smhdw])/g)) seconds += Number(amount) * units[unit as keyof typeof units];
  return seconds;
}
