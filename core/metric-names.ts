/**
 * Names of every metric the platform exports, in one place, so the API, workers and operator that
 * export them and the alerts, dashboards and autoscaler that read them cannot drift apart.
 * HTTP names follow OpenTelemetry's semantic conventions as exported to Prometheus.
 */
export const METRIC = {
  // API (HTTP semantic conventions)
  httpServerDuration: 'http_server_request_duration_seconds',
  httpServerActiveRequests: 'http_server_active_requests',
  // API internals
  cacheRequests: 'passplatform_cache_requests_total',
  rateLimited: 'passplatform_rate_limited_total',
  dbPoolConnections: 'passplatform_db_pool_connections',
  dbPoolMax: 'passplatform_db_pool_max_connections',
  dbClientOperationDuration: 'db_client_operation_duration_seconds',
  dbReplicaLag: 'passplatform_db_replica_lag_seconds',
  dbReplicaHealthy: 'passplatform_db_replica_healthy',
  passVerifications: 'passplatform_pass_verifications_total',
  /** Distinct users with an authenticated request (label `window`: day, month), from the API's HyperLogLogs in Redis. */
  activeUsers: 'passplatform_active_users',
  accessLogBuffer: 'passplatform_access_log_buffer_size',
  /** 1 while a dependency's circuit breaker lets calls through (label `dependency`: postgres, redis). */
  dependencyAvailable: 'passplatform_dependency_available',
  /** Open real-time connections (label `transport`: ws, sse); the autoscaler sizes API pods on them. */
  realtimeConnections: 'passplatform_realtime_connections',
  /** The most real-time connections one API process accepts (REALTIME_MAX_CONNECTIONS). */
  realtimeMaxConnections: 'passplatform_realtime_max_connections',
  realtimeMessagesDelivered: 'passplatform_realtime_messages_delivered_total',
  realtimeDisconnects: 'passplatform_realtime_disconnects_total',
  realtimePublishFailures: 'passplatform_realtime_publish_failures_total',
  /** Publish (in any process) to arrival at this pod's dispatcher. */
  realtimeDeliveryLag: 'passplatform_realtime_delivery_lag_seconds',
  // Every process (prom-client default metrics, plus the limits they are judged against)
  processResidentMemory: 'process_resident_memory_bytes',
  processCpuSeconds: 'process_cpu_seconds_total',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
  /** The container's memory limit (cgroup memory.max); not exported when there is none. */
  processMemoryLimit: 'passplatform_process_memory_limit_bytes',
  /** The container's CPU limit in cores (cgroup cpu.max); not exported when there is none. */
  processCpuLimit: 'passplatform_process_cpu_limit_cores',
  /** The container's CPU request in cores (downward API `CPU_REQUEST_MILLICORES`); not exported when unset. */
  processCpuRequest: 'passplatform_process_cpu_request_cores',
  /** Free and total bytes of a data volume (label `volume`, e.g. `uploads`). */
  volumeFreeBytes: 'passplatform_volume_free_bytes',
  volumeSizeBytes: 'passplatform_volume_size_bytes',
  // Workers
  queueJobs: 'passplatform_queue_jobs',
  queueOldestWaitingAge: 'passplatform_queue_oldest_waiting_age_seconds',
  jobDuration: 'passplatform_job_duration_seconds',
  jobsProcessed: 'passplatform_jobs_total',
  // Redis (oliver006/redis_exporter names, from the exporter beside each Redis node), read by the
  // autoscaler for shard sizing; `redis_instance_info{role}` tells primaries from replicas.
  redisMemoryUsed: 'redis_memory_used_bytes',
  redisMemoryMax: 'redis_memory_max_bytes',
  redisCommandsProcessed: 'redis_commands_processed_total',
  redisInstanceInfo: 'redis_instance_info',
  // PostgreSQL instances (CloudNativePG's exporter: `cnpg_<query>_<column>` from its default-monitoring
  // queries, one series set per instance pod, scraped through the PodMonitor CloudNativePG creates)
  cnpgReplicationLag: 'cnpg_pg_replication_lag',
  cnpgInRecovery: 'cnpg_pg_replication_in_recovery',
  cnpgWalReceiverUp: 'cnpg_pg_replication_is_wal_receiver_up',
  cnpgBackends: 'cnpg_backends_total',
  cnpgSetting: 'cnpg_pg_settings_setting',
  cnpgXactCommit: 'cnpg_pg_stat_database_xact_commit',
  cnpgXactRollback: 'cnpg_pg_stat_database_xact_rollback',
  // Containers (the kubelet's cAdvisor endpoint): CPU of any pod, whatever runs in it
  containerCpuUsage: 'container_cpu_usage_seconds_total',
  /** Memory a container holds that cannot be reclaimed (what the kubelet evicts on): cost allocation. */
  containerMemoryWorkingSet: 'container_memory_working_set_bytes',
  // The kubelet's volume stats (the disk alert covers every PersistentVolumeClaim)
  /** kubelet volume stats: free and total bytes of every mounted PersistentVolumeClaim. */
  kubeletVolumeAvailable: 'kubelet_volume_stats_available_bytes',
  kubeletVolumeCapacity: 'kubelet_volume_stats_capacity_bytes',
  /** Prometheus' own per-target series: 1 when the last scrape succeeded. */
  up: 'up',
  // One series per scraped process: counts the pods Prometheus sees
  processStartTime: 'process_start_time_seconds',
  // Operator
  reconcileTotal: 'passplatform_operator_reconcile_total',
  reconcileDuration: 'passplatform_operator_reconcile_duration_seconds',
  operatorIsLeader: 'passplatform_operator_is_leader',
  desiredReplicas: 'passplatform_operator_desired_replicas',
  /** What the reconcile applied (the autoscaler's wish clamped to the spec, or what runs now). */
  appliedReplicas: 'passplatform_operator_replicas',
  scalingDecisions: 'passplatform_operator_scaling_decisions_total',
  autoscalerLastRun: 'passplatform_operator_autoscaler_last_run_timestamp_seconds',
  costSpendRate: 'passplatform_cost_spend_rate_per_hour',
  costMonthToDate: 'passplatform_cost_month_to_date',
  costMonthProjection: 'passplatform_cost_month_projection',
  costBudget: 'passplatform_cost_monthly_budget',
  /** Per cost line (label `cost_line`: api, worker-uploads, postgres-primary, …): spend rate and month to date. */
  costLineSpendRate: 'passplatform_cost_line_spend_rate_per_hour',
  costLineMonthToDate: 'passplatform_cost_line_month_to_date',
  /** Per pod cost line with measured usage: requested vCPU and memory no container used, month to date (part of the line's cost). */
  costLineIdleMonthToDate: 'passplatform_cost_line_idle_month_to_date',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
