/** What the API answers about students. */
import { z } from 'zod';
import { Day, Id, Instant } from '../views.js';
import { STUDENT_STATUSES } from './schemas.js';

export const StudentView = z.strictObject({
  id: Id,
  studentId: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  programme: z.string(),
  yearOfStudy: z.number().int(),
  status: z.enum(STUDENT_STATUSES),
  phone: z.string().nullable(),
  dateOfBirth: Day.nullable(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type StudentDto = z.infer<typeof StudentView>;
