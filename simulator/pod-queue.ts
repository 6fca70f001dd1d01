/**
 * One API process's requests as processor sharing: Node.js interleaves the requests it holds at
 * every await, so n requests in progress each get 1/n of the process's cores. Kept exactly with
 * virtual time (the work each request in progress has received): a request finishes when the
 * virtual time reaches its tag, the virtual time at its arrival plus its work.
 */

interface InProgress {
  /** Virtual time at which the request has had all its work. */
  tag: number;
  arrivedAt: number;
  kind: number;
}

/** Requests one process holds at most; beyond it new ones are refused (its sockets and memory are full). */
const MAX_IN_PROGRESS = 2000;

export class PodQueue {
  private clock = -Infinity;
  private virtual = 0;
  private readonly jobs: InProgress[] = [];
  /** CPU seconds served since the last `takeCpu()`. */
  private cpu = 0;

  /** `done` is called for every request that finishes, with its time in the process (seconds). */
  constructor(private readonly done: (kind: number, seconds: number) => void) {}

  get inProgress(): number {
    return this.jobs.length;
  }

  /** Runs the process until `to` (seconds) at `cores`. */
  advance(to: number, cores: number): void {
    if (this.clock === -Infinity || this.jobs.length === 0) {
      this.clock = Math.max(this.clock, to);
      return;
    }
    while (this.jobs.length > 0 && this.clock < to) {
      const rate = cores / this.jobs.length;
      const first = this.jobs[0] as InProgress;
      const finishIn = (first.tag - this.virtual) / rate;
      if (this.clock + finishIn <= to) {
        this.clock += finishIn;
        this.cpu += finishIn * cores;
        this.virtual = first.tag;
        this.jobs.shift();
        this.done(first.kind, this.clock - first.arrivedAt);
      } else {
        this.virtual += rate * (to - this.clock);
        this.cpu += (to - this.clock) * cores;
        this.clock = to;
      }
    }
    this.clock = Math.max(this.clock, to);
  }

  /** A request arrives at `at` needing `work` CPU seconds; false when the process refuses it. */
  arrive(at: number, work: number, kind: number, cores: number): boolean {
    this.advance(at, cores);
    if (this.jobs.length >= MAX_IN_PROGRESS) return false;
    const job = { tag: this.virtual + work, arrivedAt: at, kind };
    let i = this.jobs.length;
    while (i > 0 && (this.jobs[i - 1] as InProgress).tag > job.tag) i--;
    this.jobs.splice(i, 0, job);
    return true;
  }

  takeCpu(): number {
    const cpu = this.cpu;
    this.cpu = 0;
    return cpu;
  }
}
