/**
 * The life of a pass application, as a pure function: which action may move which status where.
 * Staff may decide straight from `submitted` (a fast track) or after taking it `under_review`;
 * the student may withdraw until it is decided. Decided and withdrawn applications are final.
 */
export const APPLICATION_STATUSES = ['submitted', 'under_review', 'approved', 'rejected', 'withdrawn'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const APPLICATION_ACTIONS = ['review', 'approve', 'reject', 'withdraw'] as const;
export type ApplicationAction = (typeof APPLICATION_ACTIONS)[number];

/** Statuses the staff queue shows. */
export const OPEN_STATUSES: readonly ApplicationStatus[] = ['submitted', 'under_review'];

const TRANSITIONS: Record<ApplicationStatus, Partial<Record<ApplicationAction, ApplicationStatus>>> = {
  submitted: { review: 'under_review', approve: 'approved', reject: 'rejected', withdraw: 'withdrawn' },
  under_review: { approve: 'approved', reject: 'rejected', withdraw: 'withdrawn' },
  approved: {},
  rejected: {},
  withdrawn: {},
};

/** The status `action` leads to from `from`, or undefined when the transition is not allowed. */
export function nextStatus(from: ApplicationStatus, action: ApplicationAction): ApplicationStatus | undefined {
  return TRANSITIONS[from][action];
}

/** Actions allowed from a status (for error details and clients that render buttons). */
export function allowedActions(from: ApplicationStatus): ApplicationAction[] {
  return Object.keys(TRANSITIONS[from]) as ApplicationAction[];
}
