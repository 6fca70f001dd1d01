/**
 * The demo accounts `npm run seed` creates and the password they share. It is published (README,
 * the seed's k6 scripts), so production refuses to create such accounts and to start while any
 * enabled account still has that password.
 */
export const DEMO_PASSWORD = 'TestPassword123!';

export const DEMO_ACCOUNT_EMAILS = ['admin@university.edu', 'staff@university.edu', 'security@university.edu', 'student@university.edu'];

/** `user0@` … `user{N-1}@university.edu`, the k6 load-test accounts. */
export const LOAD_TEST_EMAIL_PATTERN = '^user[0-9]+@university\\.edu$';
