/** The HTTP status of an error thrown by @kubernetes/client-node (its ApiException carries `code`). */
export function statusCode(error: unknown): number | undefined {
  const code =
    (error as { code?: unknown; statusCode?: unknown } | undefined)?.code ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (error: unknown) => statusCode(error) === 404;
export const isConflict = (error: unknown) => statusCode(error) === 409;
