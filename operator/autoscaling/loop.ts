/**
 * The autoscaling loop: every `spec.autoscaling.intervalSeconds`, for each PassPlatform that
 * autoscales, read the signals from its Prometheus, run the policy (`autoscale`), store the
 * policy's memory in the platform's state ConfigMap, and hand the replica wishes and decisions to
 * the reconcile (the controller's `scaling` callback), which applies them to the children, keeps
 * the decisions in status and records an Event for each.
 *
 * When Prometheus cannot be read at all, the policy does not run: the wishes stay as they were
 * (nothing is scaled, least of all down) and `ScalingActive=False` names the failing queries.
 * When only some queries fail, the policy runs on what was read: the components whose signals
 * are missing hold. The state is stored before any wish is acted on; a write refused because
 * someone else wrote since (a leader change) discards the run and reloads.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { SLA_CLASS_NAMES, type SlaClass } from '../../core/sla.js';
import { autoscale, initialAutoscalerState, needsWrite } from '../autoscaler/index.js';
import type { AutoscalerMetrics } from './metrics.js';
import type { AutoscalerState, PlatformSignals } from '../autoscaler/index.js';
import { AutoscalerStateStore } from './state-store.js';
import type { Logger } from '../controller/controller.js';
import { DocumentConflictError } from '../controller/kube/configmap-document.js';
import { platformKey, platformOwnerReference } from '../reconcile/platform-identity.js';
import { DECISIONS_KEPT, type ScalingInput } from '../reconcile/reconcile.js';
import { collectSignals } from './signals/collect.js';
import { PrometheusClient, type PrometheusQueryError } from './signals/prometheus-client.js';
import { DEFAULT_WINDOW, type SignalScope } from './signals/queries.js';
import type { PassPlatform, PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';

export interface AutoscalingLoopOptions {
  kubeConfig: KubeConfig;
  /** The platforms to consider (the controller's cache). */
  platforms: () => readonly PassPlatform[];
  /** Asks for a reconcile of a platform whose wishes, decisions or signal health changed. */
  onChange: (platform: PassPlatform) => void;
  metrics?: AutoscalerMetrics;
  log?: Logger;
  clock?: () => number;
  /** How often due platforms are looked for, ms (default 1000). */
  tickMs?: number;
  /** Window of rate() and quantiles; at least four scrape intervals (default 1m, for 15 s scrapes). */
  signalWindow?: string;
  prometheusTimeoutMs?: number;
}

/** The ConfigMap as last read or written, and the policy's memory since (which moves every run but is written only when needsWrite says). */
interface KnownState {
  /** What the ConfigMap holds at `version`. */
  stored: AutoscalerState | undefined;
  version: string | undefined;
  /** The latest state, stored or not. */
  latest: AutoscalerState | undefined;
}

interface PlatformEntry {
  uid: string;
  store: AutoscalerStateStore;
  /** Undefined means read the ConfigMap again. */
  known?: KnownState;
  nextRunAt: number;
  running?: Promise<void>;
  wish?: ScalingInput;
  violations?: SlaClass[];
}

export class AutoscalingLoop {
  private readonly entries = new Map<string, PlatformEntry>();
  private readonly core: CoreV1Api;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AutoscalingLoopOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 1_000);
  }

  /** Stops scheduling and waits for runs in flight. Wishes are dropped: a new leader starts from what runs. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.entries.values()].map((e) => e.running));
    this.entries.clear();
  }

  /** The reconcile's `scaling` input: the latest wishes and recent decisions, when there are any. */
  scaling(platform: PassPlatform): ScalingInput | undefined {
    return this.entryFor(platform)?.wish;
  }

  /** SLA classes over target in the last signals; undefined when they could not be read. */
  slaViolations(platform: PassPlatform): SlaClass[] | undefined {
    return this.entryFor(platform)?.violations;
  }

  forget(platform: PassPlatform): void {
    this.entries.delete(platformKey(platform.metadata));
  }

  /**
   * Runs a platform on signals read after this call: a run already in flight (the timer's, say, which
   * read Prometheus before whatever the caller just changed) is waited for, then a fresh one starts.
   * The timer keeps its own schedule.
   */
  async runNow(platform: PassPlatform): Promise<void> {
    const entry = this.ensureEntry(platform);
    while (entry.running) await entry.running;
    return this.launch(platform, entry);
  }

  private entryFor(platform: PassPlatform): PlatformEntry | undefined {
    const entry = this.entries.get(platformKey(platform.metadata));
    return entry?.uid === platform.metadata.uid && platform.spec.autoscaling.enabled ? entry : undefined;
  }

  private ensureEntry(platform: PassPlatform): PlatformEntry {
    const existing = this.entries.get(platformKey(platform.metadata));
    if (existing?.uid === platform.metadata.uid) return existing;
    const { namespace, name } = platform.metadata;
    const entry: PlatformEntry = {
      uid: platform.metadata.uid,
      store: new AutoscalerStateStore({ api: this.core, namespace, platformName: name, owner: platformOwnerReference(platform) }),
      nextRunAt: 0,
    };
    this.entries.set(platformKey(platform.metadata), entry);
    return entry;
  }

  private tick(): void {
    const now = this.clock();
    const active = new Set<string>();
    for (const platform of this.options.platforms()) {
      if (!platform.spec.autoscaling.enabled || platform.metadata.deletionTimestamp) continue;
      active.add(platformKey(platform.metadata));
      const entry = this.ensureEntry(platform);
      if (!entry.running && now >= entry.nextRunAt) void this.launch(platform, entry);
    }
    for (const [key, entry] of this.entries) if (!active.has(key) && !entry.running) this.entries.delete(key);
  }

  private launch(platform: PassPlatform, entry: PlatformEntry): Promise<void> {
    entry.nextRunAt = this.clock() + platform.spec.autoscaling.intervalSeconds * 1000;
    const run = this.runOnce(platform, entry)
      .catch((err: unknown) => {
        // The state may be anything now; read it again next time.
        entry.known = undefined;
        this.options.log?.warn({ platform: platformKey(platform.metadata), err }, 'autoscaling run failed; holding');
      })
      .finally(() => {
        entry.running = undefined;
      });
    entry.running = run;
    return run;
  }

  private async runOnce(platform: PassPlatform, entry: PlatformEntry): Promise<void> {
    const { spec } = platform;
    const now = this.clock();
    entry.known ??= await this.load(platform, entry);
    // A component the stored state lacks (or could not be read for) starts from the count running now.
    const running = initialAutoscalerState(platform.status?.replicas ?? {});
    const latest = entry.known.latest;
    const previous = latest ? { ...latest, components: { ...running.components, ...latest.components } } : running;

    const client = new PrometheusClient(spec.autoscaling.prometheusUrl, this.options.prometheusTimeoutMs);
    const collected = await collectSignals(client, this.scopeFor(platform), new Date(now));
    const failing = collected.errors.length
      ? describeFailures(spec.autoscaling.prometheusUrl, collected.errors, collected.queried)
      : undefined;
    if (collected.errors.length === collected.queried) {
      // Nothing was read: hold every component where it is.
      this.update(
        platform,
        entry,
        { replicas: entry.wish?.replicas ?? {}, decisions: entry.wish?.decisions ?? [], signalsUnavailable: failing },
        undefined,
      );
      return;
    }

    const result = autoscale(spec, previous, collected.signals, now);
    if (!(await this.store(platform, entry, result.state))) return;
    this.options.metrics?.record({ namespace: platform.metadata.namespace, name: platform.metadata.name }, result, now);
    for (const d of result.decisions) this.options.log?.info({ platform: platformKey(platform.metadata), ...d }, 'scaling decision');
    const decisions = [...(entry.wish?.decisions ?? []), ...result.decisions].slice(-DECISIONS_KEPT);
    this.update(
      platform,
      entry,
      { replicas: result.replicas, decisions, signalsUnavailable: failing },
      slaViolations(spec, collected.signals),
    );
  }

  /** Reads the ConfigMap, saying which parts of it could not be read and start fresh. */
  private async load(platform: PassPlatform, entry: PlatformEntry): Promise<KnownState> {
    const loaded = await entry.store.load();
    if (loaded.problems.length) {
      this.options.log?.warn(
        { platform: platformKey(platform.metadata), problems: loaded.problems },
        `autoscaler state partly unreadable; starting those parts fresh: ${loaded.problems.join('; ')}`,
      );
    }
    // A partly read document is rewritten at the first run, so the problem is reported once.
    return { stored: loaded.problems.length ? undefined : loaded.state, version: loaded.version, latest: loaded.state };
  }

  /**
   * Stores the state over the version last seen when it differs durably from what is stored
   * (state-codec.ts needsWrite); false (and a reload next run) when someone else wrote since.
   */
  private async store(platform: PassPlatform, entry: PlatformEntry, state: AutoscalerState): Promise<boolean> {
    const known = entry.known;
    if (known?.stored && known.version !== undefined && !needsWrite(known.stored, state)) {
      entry.known = { ...known, latest: state };
      return true;
    }
    try {
      const version = await entry.store.save(state, known?.version);
      entry.known = { stored: state, version, latest: state };
      return true;
    } catch (error) {
      if (!(error instanceof DocumentConflictError)) throw error;
      entry.known = undefined;
      this.options.log?.warn(
        { platform: platformKey(platform.metadata) },
        'autoscaler state changed elsewhere (leader change?); discarding this run',
      );
      return false;
    }
  }

  private update(platform: PassPlatform, entry: PlatformEntry, wish: ScalingInput, violations: SlaClass[] | undefined): void {
    const before = entry.wish;
    const changed =
      !before ||
      wish.decisions.length !== before.decisions.length ||
      wish.decisions.at(-1) !== before.decisions.at(-1) ||
      wish.signalsUnavailable !== before.signalsUnavailable ||
      JSON.stringify(wish.replicas) !== JSON.stringify(before.replicas) ||
      JSON.stringify(violations) !== JSON.stringify(entry.violations);
    entry.wish = wish;
    entry.violations = violations;
    if (changed) this.options.onChange(platform);
  }

  /** One platform per namespace: its pods' series carry the namespace Prometheus scraped them in. */
  private scopeFor(platform: PassPlatform): SignalScope {
    return {
      matchers: `namespace="${platform.metadata.namespace}"`,
      window: this.options.signalWindow ?? DEFAULT_WINDOW,
      platform: platform.metadata.name,
    };
  }
}

function describeFailures(url: string, errors: PrometheusQueryError[], queried: number): string {
  // Sorted: queries fail in whatever order they were answered, and the message must not change with it.
  const sorted = [...errors].sort((a, b) => a.query.localeCompare(b.query));
  const first = sorted[0];
  const shown = sorted.slice(0, 3).map((e) => e.query);
  const more = errors.length > shown.length ? ` and ${errors.length - shown.length} more` : '';
  return `${errors.length} of ${queried} Prometheus queries to ${url} failed (${first?.message ?? 'unknown error'}): ${shown.join('; ')}${more}`;
}

function slaViolations(spec: PassPlatformSpec, signals: PlatformSignals): SlaClass[] | undefined {
  const p95 = signals.api?.p95LatencySeconds;
  if (!p95 || !Object.keys(p95).length) return undefined;
  return SLA_CLASS_NAMES.filter((c) => (p95[c] ?? 0) > spec.sla[c]);
}
