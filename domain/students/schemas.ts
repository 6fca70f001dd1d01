import { z } from 'zod';
import { PageQuery } from '../pagination.js';

export const STUDENT_STATUSES = ['active', 'suspended', 'graduated', 'withdrawn'] as const;
export type StudentStatus = (typeof STUDENT_STATUSES)[number];

/** Statuses whose holder may neither enter nor log in (api/students/standing.ts). */
export const BARRED_STUDENT_STATUSES = ['suspended', 'withdrawn'] as const;

const name = z.string().trim().min(1).max(100);

const StudentFields = z
  .object({
    studentId: z
      .string()
      .trim()
      .regex(/^[A-Z]{2,4}\d{4}\d{2,8}$/, 'studentId looks like CS2023001234: a programme code, the intake year, a number'),
    firstName: name,
    lastName: name,
    email: z.email().max(254),
    programme: z.string().trim().min(2).max(80),
    yearOfStudy: z.number().int().min(1).max(10),
    status: z.enum(STUDENT_STATUSES),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{6,20}$/)
      .nullable()
      .optional(),
    dateOfBirth: z.iso.date().nullable().optional(),
  })
  .strict();

export const StudentCreate = StudentFields.extend({ status: z.enum(STUDENT_STATUSES).default('active') }).strict();

// Built from the fields without defaults: a default here would silently overwrite on every PATCH.
export const StudentPatch = StudentFields.partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'at least one field must be given');

export const StudentIdParams = z.object({ id: z.uuid() });

export const StudentListQuery = z
  .object({
    ...PageQuery,
    status: z.enum(STUDENT_STATUSES).optional(),
    programme: z.string().trim().min(1).max(80).optional(),
    yearOfStudy: z.coerce.number().int().min(1).max(10).optional(),
  })
  .strict();

export const StudentSearchQuery = z
  .object({
    q: z.string().trim().min(1).max(200),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export type StudentCreateInput = z.infer<typeof StudentCreate>;
export type StudentPatchInput = z.infer<typeof StudentPatch>;
export type StudentListInput = z.infer<typeof StudentListQuery>;
