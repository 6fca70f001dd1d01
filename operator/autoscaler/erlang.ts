/**
 * M/M/c queueing (Erlang C): requests arrive at rate λ, each of c servers serves at rate μ, one
 * shared queue. The API behind a least-request load balancer and a worker fleet pulling from one
 * queue both behave like this closely enough to size them. Pure arithmetic, no state.
 */

/** Probability that an arriving request waits at all (Erlang C); 1 when the servers are saturated. */
export function erlangC(servers: number, arrivalRate: number, serviceRate: number): number {
  if (servers <= 0) return 1;
  const offered = arrivalRate / serviceRate;
  if (offered <= 0) return 0;
  if (offered >= servers) return 1;
  let blocking = 1;
  for (let k = 1; k <= servers; k++) blocking = (offered * blocking) / (k + offered * blocking);
  return (servers * blocking) / (servers - offered * (1 - blocking));
}

/** P(wait > t) for an M/M/c queue; 1 when it is saturated (the queue grows without bound). */
export function waitExceedProbability(servers: number, arrivalRate: number, serviceRate: number, t: number): number {
  const drain = servers * serviceRate - arrivalRate;
  if (drain <= 0) return 1;
  if (t <= 0) return erlangC(servers, arrivalRate, serviceRate) > 0 ? 1 : 0;
  return erlangC(servers, arrivalRate, serviceRate) * Math.exp(-drain * t);
}

/** The wait that a fraction `1 - exceed` of arrivals stays under (p95 for exceed = 0.05); Infinity when saturated. */
export function waitQuantile(servers: number, arrivalRate: number, serviceRate: number, exceed = 0.05): number {
  const drain = servers * serviceRate - arrivalRate;
  if (drain <= 0) return Infinity;
  const waitsAtAll = erlangC(servers, arrivalRate, serviceRate);
  return waitsAtAll <= exceed ? 0 : Math.log(waitsAtAll / exceed) / drain;
}

/**
 * The fewest servers whose wait quantile stays within `waitBudget` and whose utilisation stays at
 * or under `maxUtilization`; `limit` when even that many are not enough. Monotone in
 * `arrivalRate`: more load never yields fewer servers.
 */
export function minServers(
  arrivalRate: number,
  serviceRate: number,
  waitBudget: number,
  options: { exceed?: number; maxUtilization?: number; limit: number },
): number {
  const exceed = options.exceed ?? 0.05;
  const maxUtilization = options.maxUtilization ?? 1;
  if (arrivalRate <= 0) return 0;
  const offered = arrivalRate / serviceRate;
  let blocking = 1;
  for (let c = 1; c <= options.limit; c++) {
    blocking = (offered * blocking) / (c + offered * blocking);
    if (offered >= c * maxUtilization || offered >= c) continue;
    const waitsAtAll = (c * blocking) / (c - offered * (1 - blocking));
    const wait = waitsAtAll <= exceed ? 0 : Math.log(waitsAtAll / exceed) / (c * serviceRate - arrivalRate);
    if (wait <= waitBudget) return c;
  }
  return options.limit;
}
