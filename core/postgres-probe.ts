/**
 * The primary's health probe: `select 1` every half second on one connection of its own, kept
 * open between probes. A fresh connection per probe cost the server a backend fork and an
 * authentication twice a second per pod (80 a second at 40 API pods), for no better answer.
 */
import pg from 'pg';
import { withDeadline } from './breaker.js';

export interface PostgresProbeOptions {
  url: string;
  /** Bounds connecting and the query alike (withDeadline); the breaker holds the whole probe to it as well. */
  deadlineMs: number;
  applicationName?: string;
}

/** pg's own timers, a backstop only (see inTime): this many deadlines. */
const PG_BACKSTOP_FACTOR = 5;

export class PostgresProbe {
  private client: pg.Client | undefined;

  constructor(private readonly options: PostgresProbeOptions) {}

  /**
   * Resolves when the server answered. A kept connection that fails is dropped and the probe tried
   * once more on a new one, so a connection the server (or a pooler) closed while idle is not an
   * outage; what a new connection can't do is.
   */
  async probe(): Promise<void> {
    const kept = this.client;
    if (kept) {
      try {
        await this.inTime(kept.query('select 1'), 'postgres probe');
        return;
      } catch {
        this.drop(kept);
      }
    }
    const fresh = this.open();
    try {
      await this.inTime(fresh.connect(), 'postgres probe connect');
      await this.inTime(fresh.query('select 1'), 'postgres probe');
    } catch (err) {
      this.drop(fresh);
      throw err;
    }
  }

  /** Closes the kept connection (a process shutting down). */
  close(): void {
    if (this.client) this.drop(this.client);
  }

  /**
   * The deadline is withDeadline's, which reads what the socket holds before declaring it missed.
   * pg's own timers (connectionTimeoutMillis, query_timeout) fire at the start of an event-loop turn,
   * before the socket is read: on a CPU starved by other processes (a busy CI machine) a reply sitting
   * unread "timed out", the kept backend was dropped, and two such probes opened the breaker, so the
   * API answered 503 with Postgres up. They stay only as a backstop far past the deadline.
   */
  private inTime<T>(step: Promise<T>, what: string): Promise<T> {
    return withDeadline(step, this.options.deadlineMs, what);
  }

  private open(): pg.Client {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.deadlineMs * PG_BACKSTOP_FACTOR,
      query_timeout: this.options.deadlineMs * PG_BACKSTOP_FACTOR,
      application_name: this.options.applicationName ?? 'passplatform-probe',
    });
    // A kept connection the server ends between probes emits 'error'; the next probe finds out.
    client.on('error', () => undefined);
    this.client = client;
    return client;
  }

  /**
   * Ends `client` without waiting on the server, and stops keeping it. A query that timed out may
   * still be running on it, so it is never reused. (The breaker gives up on a probe at its deadline
   * and may start the next while this one still waits: each probe drops only what it tried.)
   */
  private drop(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    void withDeadline(client.end(), this.options.deadlineMs, 'postgres probe close').catch(() => undefined);
  }
}
