/**
 * A small client for Prometheus' HTTP query API (/api/v1/query and /api/v1/query_range): one
 * timeout per request, and errors that say which query failed and why (Prometheus' own
 * errorType/error, an HTTP status, or a timeout) instead of a bare fetch failure.
 */

export interface Sample {
  labels: Record<string, string>;
  /** Epoch seconds. */
  time: number;
  value: number;
}

export interface RangeSeries {
  labels: Record<string, string>;
  points: { time: number; value: number }[];
}

export class PrometheusQueryError extends Error {
  constructor(
    message: string,
    readonly query: string,
    readonly errorType?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

interface ApiResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

type VectorResult = { metric: Record<string, string>; value: [number, string] }[];
type MatrixResult = { metric: Record<string, string>; values: [number, string][] }[];

export class PrometheusClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /** An instant query; scalars come back as one sample without labels. */
  async query(promql: string, time?: Date): Promise<Sample[]> {
    const params = new URLSearchParams({ query: promql, timeout: `${this.timeoutMs / 1000}s` });
    if (time) params.set('time', String(time.getTime() / 1000));
    const data = await this.request('/api/v1/query', params, promql);
    if (data.resultType === 'scalar') {
      const [t, v] = data.result as [number, string];
      return [{ labels: {}, time: t, value: Number(v) }];
    }
    if (data.resultType !== 'vector') throw new PrometheusQueryError(`unexpected result type ${data.resultType}`, promql);
    return (data.result as VectorResult).map((r) => ({ labels: r.metric, time: r.value[0], value: Number(r.value[1]) }));
  }

  async queryRange(promql: string, start: Date, end: Date, stepSeconds: number): Promise<RangeSeries[]> {
    const params = new URLSearchParams({
      query: promql,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
      timeout: `${this.timeoutMs / 1000}s`,
    });
    const data = await this.request('/api/v1/query_range', params, promql);
    if (data.resultType !== 'matrix') throw new PrometheusQueryError(`unexpected result type ${data.resultType}`, promql);
    return (data.result as MatrixResult).map((r) => ({
      labels: r.metric,
      points: r.values.map(([time, value]) => ({ time, value: Number(value) })),
    }));
  }

  private async request(path: string, params: URLSearchParams, promql: string): Promise<{ resultType: string; result: unknown }> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: params,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : String(error);
      throw new PrometheusQueryError(`Prometheus at ${this.baseUrl} unreachable: ${reason}`, promql);
    }
    let body: ApiResponse;
    try {
      body = (await response.json()) as ApiResponse;
    } catch {
      throw new PrometheusQueryError(`Prometheus answered HTTP ${response.status} without a JSON body`, promql, undefined, response.status);
    }
    if (body.status !== 'success' || !body.data) {
      throw new PrometheusQueryError(
        `query failed (${body.errorType ?? response.status}): ${body.error ?? 'no detail'}`,
        promql,
        body.errorType,
        response.status,
      );
    }
    return body.data;
  }
}
