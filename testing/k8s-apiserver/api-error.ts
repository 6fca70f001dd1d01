/** A failure the API server answers with a `Status` object, worded as Kubernetes words it. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details: this.details,
      code: this.code,
    };
  }

  static notFound(resource: string, name: string) {
    return new ApiError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
  }

  static alreadyExists(resource: string, name: string) {
    return new ApiError(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource });
  }

  static conflict(resource: string, name: string) {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, kind: resource },
    );
  }

  static invalid(message: string, details: Record<string, unknown> = {}) {
    return new ApiError(422, 'Invalid', message, details);
  }

  static badRequest(message: string) {
    return new ApiError(400, 'BadRequest', message);
  }

  static gone(message: string) {
    return new ApiError(410, 'Expired', message);
  }
}
