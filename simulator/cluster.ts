/**
 * Pods and the nodes they run on. A new pod waits until a node has room for its CPU request
 * (the cluster autoscaler adds nodes for pods it finds unschedulable, after a provisioning delay,
 * and removes a node once the others have held its pods for ten minutes), then takes its start-up
 * time before it serves. Removing replicas takes the unscheduled and newest first, as a ReplicaSet does.
 */
import type { PodQueue } from './pod-queue.js';
import type { Random } from './random.js';
import { APP_NODES } from './workload.js';

export interface Pod {
  /** When the pod object was created (epoch ms). */
  startedAt: number;
  /** When it serves; Infinity while it waits for a node. */
  readyAt: number;
  /** Seconds from being scheduled to serving, drawn when the pod is created. */
  startSeconds: number;
  scheduled: boolean;
  /** API pods the model follows request by request: the process's requests in progress. */
  queue?: PodQueue;
}

/** Draws a new pod's start-up seconds; `replicas` is how many the fleet has once it is added. */
export type StartTime = (replicas: number) => number;

/** The replicas of one component. */
export class Fleet {
  readonly pods: Pod[] = [];

  constructor(
    private readonly startTime: StartTime,
    /** CPU cores one pod requests from the app node pool; 0 for pods on nodes of their own. */
    readonly coresRequested: number,
    initial: number,
    now: number,
  ) {
    for (let i = 0; i < initial; i++) this.pods.push({ startedAt: now, readyAt: now, startSeconds: 0, scheduled: true });
  }

  get size(): number {
    return this.pods.length;
  }

  resize(replicas: number, now: number): void {
    while (this.pods.length < replicas) {
      const startSeconds = this.startTime(this.pods.length + 1);
      const scheduled = this.coresRequested === 0;
      this.pods.push({ startedAt: now, readyAt: scheduled ? now + startSeconds * 1000 : Infinity, startSeconds, scheduled });
    }
    if (this.pods.length > replicas) {
      this.pods.sort((a, b) => b.readyAt - a.readyAt || b.startedAt - a.startedAt);
      this.pods.splice(0, this.pods.length - replicas);
      this.pods.sort((a, b) => a.startedAt - b.startedAt);
    }
  }

  ready(now: number): number {
    let ready = 0;
    for (const pod of this.pods) if (pod.readyAt <= now) ready++;
    return ready;
  }

  /** The ready pods, oldest first. */
  readyPods(now: number): Pod[] {
    return this.pods.filter((pod) => pod.readyAt <= now);
  }

  scheduledCount(): number {
    let count = 0;
    for (const pod of this.pods) if (pod.scheduled) count++;
    return count;
  }
}

interface Node {
  readyAt: number;
}

/** The app node pool under the cluster autoscaler. */
export class AppNodePool {
  private readonly nodes: Node[] = [];
  private unneededSince: number | undefined;

  constructor(
    private readonly fleets: readonly Fleet[],
    private readonly random: Random,
    now: number,
  ) {
    const requested = fleets.reduce((s, f) => s + f.size * f.coresRequested, 0);
    // The cluster starts with room for what runs plus one node's slack.
    const count = Math.ceil(requested / APP_NODES.allocatableCores) + 1;
    for (let i = 0; i < count; i++) this.nodes.push({ readyAt: now });
  }

  /** Nodes that exist, provisioning ones included (each is billed by the cloud, not counted here). */
  get size(): number {
    return this.nodes.length;
  }

  private readyCores(now: number): number {
    return this.nodes.filter((n) => n.readyAt <= now).length * APP_NODES.allocatableCores;
  }

  private requestedCores(): number {
    return this.fleets.reduce((s, f) => s + f.scheduledCount() * f.coresRequested, 0);
  }

  /** Schedules waiting pods where ready nodes have room, asks for nodes for the rest, removes an unneeded node. */
  tick(now: number): void {
    let free = this.readyCores(now) - this.requestedCores();
    let pending = 0;
    for (const fleet of this.fleets) {
      for (const pod of fleet.pods) {
        if (pod.scheduled) continue;
        if (free >= fleet.coresRequested) {
          pod.scheduled = true;
          pod.readyAt = now + pod.startSeconds * 1000;
          free -= fleet.coresRequested;
        } else {
          pending += fleet.coresRequested;
        }
      }
    }
    const provisioning = this.nodes.filter((n) => n.readyAt > now).length * APP_NODES.allocatableCores;
    const missing = Math.ceil((pending - provisioning) / APP_NODES.allocatableCores);
    for (let i = 0; i < missing; i++) {
      const [low, high] = APP_NODES.provisionSeconds;
      this.nodes.push({ readyAt: now + this.random.between(low, high) * 1000 });
    }
    // Scale-down: one node at a time, once the others could hold every scheduled pod for the whole period.
    const fitsWithoutOne = pending === 0 && this.requestedCores() <= this.readyCores(now) - APP_NODES.allocatableCores;
    if (!fitsWithoutOne) this.unneededSince = undefined;
    else if (this.unneededSince === undefined) this.unneededSince = now;
    else if (now - this.unneededSince >= APP_NODES.unneededSeconds * 1000) {
      const index = this.nodes.findIndex((n) => n.readyAt <= now);
      if (index >= 0) this.nodes.splice(index, 1);
      this.unneededSince = undefined;
    }
  }

  /** Cores on ready nodes that no pod has requested: what pods may burst into. */
  spareCores(now: number): number {
    return Math.max(0, this.readyCores(now) - this.requestedCores());
  }
}
