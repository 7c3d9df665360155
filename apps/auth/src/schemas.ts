import { z } from "@hono/zod-openapi";
import { ROLES } from "../../shared/src/index.ts";

/** Printable text without control characters. */
const noControlChars = (value: string) => !/[\p{Cc}\p{Cf}]/u.test(value);

export const EmailSchema = z
  .email({ error: "expected an email address" })
  .max(254, { error: "expected at most 254 characters" })
  .openapi({ example: "ada@example.com" });

/** ASVS 6.2.1 (at least 8, 15 recommended), 6.2.9 (at least 64 allowed), 6.2.5 (no composition rules). */
export const NewPasswordSchema = z
  .string({ error: "expected a string" })
  .min(8, { error: "expected at least 8 characters" })
  .max(256, { error: "expected at most 256 characters" })
  .openapi({ format: "password", example: "correct horse battery staple" });

/** A presented password is only bounded, so an old one never fails validation before it is checked. */
const PresentedPasswordSchema = z
  .string({ error: "expected a string" })
  .min(1, { error: "is required" })
  .max(256, { error: "expected at most 256 characters" })
  .openapi({ format: "password" });

export const DisplayNameSchema = z
  .string({ error: "expected a string" })
  .trim()
  .min(1, { error: "expected at least 1 character" })
  .max(100, { error: "expected at most 100 characters" })
  .refine(noControlChars, { error: "must not contain control characters" })
  .openapi({ example: "Ada Lovelace" });

export const RegisterBody = z
  .object({ email: EmailSchema, displayName: DisplayNameSchema, password: NewPasswordSchema })
  .openapi("RegisterRequest");
export const LoginBody = z
  .object({ email: EmailSchema, password: PresentedPasswordSchema })
  .openapi("LoginRequest");
export const RefreshBody = z
  .object({
    refreshToken: z
      .string({ error: "expected a string" })
      .min(1, { error: "is required" })
      .max(512, { error: "expected at most 512 characters" }),
  })
  .openapi("RefreshRequest");
export const UpdateProfileBody = z.object({ displayName: DisplayNameSchema }).openapi("UpdateProfileRequest");
export const ChangePasswordBody = z
  .object({ currentPassword: PresentedPasswordSchema, newPassword: NewPasswordSchema })
  .openapi("ChangePasswordRequest");
export const ChatTicketBody = z
  .object({
    meetingId: z
      .string({ error: "expected a string" })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected 1 to 64 letters, digits, _ or -" })
      .openapi({ example: "3f1c9a2e-6b1d-4c53-9a53-0d1c2b3a4f5e" }),
  })
  .openapi("ChatTicketRequest");
export const RoleSchema = z.enum(ROLES, { error: `expected one of ${ROLES.join(", ")}` });
export const SetRolesBody = z
  .object({
    roles: z
      .array(RoleSchema, { error: "expected an array of roles" })
      .min(1, { error: "expected at least one role" })
      .max(ROLES.length, { error: `expected at most ${ROLES.length} roles` })
      .refine((roles) => new Set(roles).size === roles.length, { error: "must not repeat a role" }),
  })
  .openapi("SetRolesRequest");

export const IdParams = z.object({
  id: z
    .uuid({ error: "expected a UUID" })
    .openapi({ param: { name: "id", in: "path" }, example: "0b5f6c1e-2d7a-4e8b-9c3d-1a2b3c4d5e6f" }),
});

export const ListUsersQuery = z.object({
  limit: z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected an integer" })
    .min(1, { error: "expected at least 1" })
    .max(100, { error: "expected at most 100" })
    .default(50)
    .openapi({ param: { name: "limit", in: "query" } }),
  cursor: z
    .string()
    .max(200, { error: "expected at most 200 characters" })
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "nextCursor of the previous page" }),
});

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    roles: z.array(z.string()),
    disabled: z.boolean(),
    createdAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("User");

export const TokenPairSchema = z
  .object({
    tokenType: z.literal("Bearer"),
    accessToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "access token lifetime in seconds" }),
    refreshToken: z.string().openapi({ description: "opaque; single use, rotated on every refresh" }),
    refreshExpiresIn: z
      .number()
      .int()
      .openapi({ description: "seconds until the refresh token expires if unused (idle timeout)" }),
    sessionId: z.uuid(),
  })
  .openapi("TokenPair");

export const SessionSchema = z
  .object({
    id: z.uuid(),
    current: z.boolean(),
    createdAt: z.string(),
    lastRefreshedAt: z.string(),
    expiresAt: z.string().openapi({ description: "the earlier of the idle and the absolute expiry" }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
  })
  .openapi("Session");

export const ChatTicketSchema = z
  .object({ ticket: z.string(), expiresIn: z.number().int() })
  .openapi("ChatTicket");
export const AcceptedSchema = z
  .object({ status: z.literal("accepted"), detail: z.string() })
  .openapi("Accepted");
export const UserPageSchema = z
  .object({ users: z.array(UserSchema), nextCursor: z.string().nullable() })
  .openapi("UserPage");
export const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("JWKS");
