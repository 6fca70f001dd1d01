/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews the
 * Lease every retry period; a candidate takes it over only when it has not seen the Lease change
 * for a whole lease duration (measured on its own clock, so clock skew between nodes does not
 * matter) or when the holder released it. Every write is guarded by resourceVersion, so two
 * candidates cannot both win: the loser gets 409 Conflict.
 */
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './kube/errors.js';

export interface LeaderElectionOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  now?: () => Date;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (error: unknown) => void;
}

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private running = false;
  private observedVersion: string | undefined;
  private observedAt = 0;

  constructor(private readonly options: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.inflight = this.tick();
  }

  /** Stops campaigning; a leader hands the Lease back so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    // A tick already under way could otherwise re-acquire the Lease after we released it, and
    // hold it against every successor for a whole lease duration.
    await this.inflight;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.options.coordination.replaceNamespacedLease({
          name: this.options.name,
          namespace: this.options.namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
        });
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private async tick() {
    try {
      // A renewal that has not answered within the renew deadline counts as lost: a leader must
      // step down before its Lease can expire, or a hung request would leave two leaders.
      this.setLeading(await withDeadline(this.tryAcquireOrRenew(), this.renewDeadlineMs()));
    } catch (error) {
      this.options.onError?.(error);
      this.setLeading(false);
    }
    if (this.running) {
      this.timer = setTimeout(() => {
        this.inflight = this.tick();
      }, this.options.retryPeriodMs ?? 2000);
    }
  }

  /** Two thirds of the lease duration, as client-go's default RenewDeadline (10 s of 15 s). */
  private renewDeadlineMs(): number {
    return ((this.options.leaseDurationSeconds ?? 15) * 1000 * 2) / 3;
  }

  private setLeading(leading: boolean) {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.options.coordination.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.options;
    const duration = this.options.leaseDurationSeconds ?? 15;
    const now = (this.options.now ?? (() => new Date()))();
    const lease = await this.read();
    // A Lease's times are MicroTime: kube-apiserver accepts only RFC 3339 with six fractional
    // digits, which V1MicroTime serialises (a plain Date gives three and is refused with 400).
    const spec = { holderIdentity: identity, leaseDurationSeconds: duration, renewTime: new V1MicroTime(now.getTime()) };
    if (!lease) {
      try {
        await coordination.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { ...spec, acquireTime: spec.renewTime, leaseTransitions: 0 },
          },
        });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    }
    const version = lease.metadata?.resourceVersion;
    if (version !== this.observedVersion) {
      this.observedVersion = version;
      this.observedAt = now.getTime();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    const expired = this.observedAt + (lease.spec?.leaseDurationSeconds ?? duration) * 1000 <= now.getTime();
    if (heldByOther && !expired) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    try {
      const updated = await coordination.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: { ...spec, acquireTime: holder === identity ? lease.spec?.acquireTime : spec.renewTime, leaseTransitions: transitions },
        },
      });
      this.observedVersion = updated.metadata?.resourceVersion;
      this.observedAt = now.getTime();
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}

class RenewDeadlineExceeded extends Error {
  override name = 'RenewDeadlineExceeded';
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RenewDeadlineExceeded(`lease renewal took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
