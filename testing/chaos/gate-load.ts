/**
 * Gates under load, with every answer judged against what must be true. Each valid pass is
 * presented in the direction that is correct for it (entry after exit, exit after entry), so a
 * refusal is always wrong; revoked passes are presented too, and any acceptance of one is wrong.
 * A pass whose last request got no answer (its fate unknown) is set aside rather than guessed.
 * Every request carries an id, so the rows it must have left can be counted afterwards.
 */
import type { Pass } from './environment.js';

type Direction = 'entry' | 'exit';

interface GatePass extends Pass {
  next: Direction;
  busy: boolean;
  retired: boolean;
}

export interface GateTally {
  requests: number;
  /** Count per HTTP status, plus `refused` (connection refused: nothing reached the API) and `no-answer`. */
  byStatus: Record<string, number>;
  validRefused: number;
  revokedAccepted: number;
  /** Request ids answered 200 (each must have exactly one access-log row). */
  answered: string[];
  degraded: number;
  /** Request id, reason and whether degraded, for each wrong refusal. */
  refusals: string[];
  /** Milliseconds the API spent on each verification (X-Response-Time). */
  latencies: number[];
}

const emptyTally = (): GateTally => ({
  requests: 0,
  byStatus: {},
  validRefused: 0,
  revokedAccepted: 0,
  answered: [],
  degraded: 0,
  refusals: [],
  latencies: [],
});

export class GateLoad {
  private readonly passes: GatePass[];
  private readonly revoked: Pass[] = [];
  /** Revocations confirmed at this time (ms): only presentations sent later must be refused. */
  private readonly revokedAt = new Map<string, number>();
  private tally = emptyTally();
  private running = false;
  private loop: Promise<void> | undefined;
  private cursor = 0;
  private sequence = 0;
  private label = 'load';
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly token: string,
    passes: Pass[],
    private readonly perSecond: number,
  ) {
    this.passes = passes.map((p) => ({ ...p, next: 'entry', busy: false, retired: false }));
  }

  /** Starts presenting passes; `label` prefixes the request ids of this run. */
  start(label: string): void {
    this.label = label;
    this.tally = emptyTally();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        for (let i = 0; i < Math.ceil(this.perSecond / 10); i++) this.track(this.presentOne());
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
      }
    })();
  }

  /** Stops sending and waits for every request in flight to be answered (or to fail). */
  async stop(): Promise<GateTally> {
    this.running = false;
    await this.loop;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    return this.tally;
  }

  /** Takes a pass out of the valid set for revocation; call `revoked()` once the API confirmed it. */
  takeForRevocation(): Pass | undefined {
    const pass = this.passes.find((p) => !p.busy && !p.retired);
    if (pass) pass.retired = true;
    return pass;
  }

  markRevoked(pass: Pass): void {
    this.revoked.push(pass);
    this.revokedAt.set(pass.id, Date.now());
  }

  /** Passes still usable (neither revoked nor set aside). */
  get usable(): number {
    return this.passes.filter((p) => !p.retired).length;
  }

  private track(request: Promise<void>): void {
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private async presentOne(): Promise<void> {
    // One presentation in ten is of a revoked pass.
    if (this.revoked.length > 0 && this.sequence % 10 === 9) {
      const pass = this.revoked[this.sequence % this.revoked.length]!;
      const sentAt = Date.now();
      const outcome = await this.send(pass.code, 'entry');
      if (outcome.kind === 'answered' && outcome.valid && sentAt >= (this.revokedAt.get(pass.id) ?? Infinity))
        this.tally.revokedAccepted += 1;
      return;
    }
    const pass = this.nextIdle();
    if (!pass) {
      this.sequence += 1;
      return;
    }
    pass.busy = true;
    try {
      const outcome = await this.send(pass.code, pass.next);
      if (outcome.kind === 'answered') {
        if (outcome.valid) pass.next = pass.next === 'entry' ? 'exit' : 'entry';
        else {
          this.tally.validRefused += 1;
          this.tally.refusals.push(outcome.detail);
        }
      } else if (outcome.kind === 'unknown') {
        pass.retired = true;
      }
    } finally {
      pass.busy = false;
    }
  }

  private nextIdle(): GatePass | undefined {
    for (let i = 0; i < this.passes.length; i++) {
      const pass = this.passes[(this.cursor + i) % this.passes.length]!;
      if (!pass.busy && !pass.retired) {
        this.cursor = (this.cursor + i + 1) % this.passes.length;
        return pass;
      }
    }
    return undefined;
  }

  /**
   * One verification. `answered`: a 200 with its verdict; `unchanged`: refused before reaching the
   * API or answered with an error that decided nothing (503); `unknown`: anything else.
   */
  private async send(
    code: string,
    direction: Direction,
  ): Promise<{ kind: 'answered'; valid: boolean; detail: string } | { kind: 'unchanged' | 'unknown' }> {
    const requestId = `${this.label}-${++this.sequence}`;
    this.tally.requests += 1;
    const count = (key: string) => (this.tally.byStatus[key] = (this.tally.byStatus[key] ?? 0) + 1);
    const started = performance.now();
    try {
      const res = await fetch(`${this.url}/passes/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ code, gate: 'chaos-gate', direction }),
        signal: AbortSignal.timeout(30_000),
      });
      count(String(res.status));
      const serverMs = parseFloat(res.headers.get('x-response-time') ?? '');
      this.tally.latencies.push(Number.isFinite(serverMs) ? serverMs : performance.now() - started);
      const body = (await res.json().catch(() => ({}))) as { data?: { valid: boolean; degraded: boolean; reason: string | null } };
      if (res.status === 200 && body.data) {
        this.tally.answered.push(requestId);
        if (body.data.degraded) this.tally.degraded += 1;
        return {
          kind: 'answered',
          valid: body.data.valid,
          detail: `${requestId} ${direction} ${body.data.reason ?? ''}${body.data.degraded ? ' (degraded)' : ''}`,
        };
      }
      return { kind: res.status === 503 || res.status === 429 ? 'unchanged' : 'unknown' };
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') {
        count('refused');
        return { kind: 'unchanged' };
      }
      count('no-answer');
      return { kind: 'unknown' };
    }
  }
}
