import { z } from 'zod';

/** A role a user acts in: customers order, the kitchen prepares, admins operate. */
export const Role = z.enum(['customer', 'kitchen', 'admin']);
export type Role = z.infer<typeof Role>;

/** The end user a call between services is made on behalf of. */
export interface EndUser {
  id: string;
  role: Role;
}

/** An ISO 4217 currency code. The menu is priced in USD. */
export const Currency = z
  .string()
  .length(3)
  .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code');
export type Currency = z.infer<typeof Currency>;

/** An amount of money in minor units (cents), as the databases' integer columns hold it. */
export const Cents = z.int32().min(0);
export type Cents = z.infer<typeof Cents>;

/** A moment in time, as an ISO 8601 string in UTC. */
export const Timestamp = z.iso.datetime().max(40);
export type Timestamp = z.infer<typeof Timestamp>;

/**
 * A client's own `X-Request-Id` that the services keep: up to 128 letters, digits or
 * `_.:-`. Any other gets a new id.
 */
export const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/** An opaque resource id as it appears in a path (`ord_…`, `pay_…`, `tkt_…`). */
export const ResourceId = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id such as ord_5f2c9a4e1b7d3068a1c2e4f6');
export type ResourceId = z.infer<typeof ResourceId>;

/** A menu item's id, a readable slug such as `new-york-cheesecake`. */
export const MenuItemId = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug such as new-york-cheesecake');
export type MenuItemId = z.infer<typeof MenuItemId>;

/** The `Idempotency-Key` request header: any string of 1 to 255 characters. */
export const IdempotencyKey = z.string().min(1).max(255);
export type IdempotencyKey = z.infer<typeof IdempotencyKey>;

/**
 * The headers of a request that changes something and may be retried safely: the same
 * `Idempotency-Key` with the same body replays the first answer (`Idempotent-Replayed: true`),
 * with another body it is refused with 422, and while the first is still running with 409.
 */
export const IdempotencyHeaders = z.object({ 'idempotency-key': IdempotencyKey.optional() });
export type IdempotencyHeaders = z.infer<typeof IdempotencyHeaders>;

/** The body of a liveness or readiness answer. */
export const HealthStatus = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string().max(64), z.enum(['ok', 'unavailable'])).optional(),
});
export type HealthStatus = z.infer<typeof HealthStatus>;

// Control characters (C0, DEL, C1) but the line feed, which a note may use between lines; and
// the bidirectional embeddings, overrides and isolates, which can make a note shown to the
// kitchen read differently from what was written (CVE-2021-42574, "Trojan Source").
const UNSAFE_IN_TEXT = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/**
 * Free text a person writes, such as an order's notes: lines of printable text, without
 * control characters (NUL, CR, escapes) or bidirectional overrides.
 */
export const FreeText = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine(
      (text) => !UNSAFE_IN_TEXT.test(text.replaceAll('\n', '')),
      'must not contain control characters (but line feeds) or bidirectional overrides',
    );

/** The body of a `204 No Content` answer: there is none. */
export const NoContent = z.undefined();
