/** The roles an account may have; every route states which of them may call it. */
export const ROLES = ['admin', 'staff', 'security', 'student'] as const;
export type Role = (typeof ROLES)[number];
