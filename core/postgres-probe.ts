/**
 * The primary's health probe: `select 1` every half second on one connection of its own, kept
 * open between probes. A fresh connection per probe cost the server a backend fork and an
 * authentication twice a second per pod (80 a second at 40 API pods), for no better answer.
 */
import pg from 'pg';
import { withDeadline } from './breaker.js';

export interface PostgresProbeOptions {
  url: string;
  /** Bounds connecting and the query alike; the breaker holds the whole probe to it as well. */
  deadlineMs: number;
  applicationName?: string;
}

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
        await kept.query('select 1');
        return;
      } catch {
        this.drop(kept);
      }
    }
    const fresh = this.open();
    try {
      await fresh.connect();
      await fresh.query('select 1');
    } catch (err) {
      this.drop(fresh);
      throw err;
    }
  }

  /** Closes the kept connection (a process shutting down). */
  close(): void {
    if (this.client) this.drop(this.client);
  }

  private open(): pg.Client {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.deadlineMs,
      query_timeout: this.options.deadlineMs,
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
