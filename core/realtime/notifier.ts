/**
 * Sends notifications after a state change has committed, without making the caller wait for
 * Redis: each send runs in the background, failures are logged by the publisher, and `settled()`
 * lets a process finish the sends in flight before it closes its connections.
 */
import type { Knex } from 'knex';
import type { Logger } from '../logger.js';
import type { NotificationData, NotificationEventName } from './events.js';
import type { RealtimePublisher } from './publisher.js';
import { usersOfStudent } from './recipients.js';

export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly publisher: RealtimePublisher,
    private readonly knex: Knex,
    private readonly logger: Logger,
  ) {}

  /** To one user (the owner of an upload, the requester of a report). */
  user<E extends NotificationEventName>(userId: string | null, event: E, data: NotificationData<E>): void {
    if (userId) this.track(this.publisher.notifyUsers([userId], event, data));
  }

  /** To every account of a student (their applications and passes). */
  student<E extends NotificationEventName>(studentId: string, event: E, data: NotificationData<E>): void {
    this.track(usersOfStudent(this.knex, studentId).then((userIds) => this.publisher.notifyUsers(userIds, event, data)));
  }

  /** Runs any publish in the background (gate verdicts, session revocations). */
  track(sending: Promise<void>): void {
    const guarded = sending.catch((err: Error) => this.logger.warn({ err: err.message }, 'real-time notification not sent'));
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
