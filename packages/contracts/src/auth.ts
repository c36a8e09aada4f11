import { z } from 'zod';

/** The body of `POST /api/auth/token`. */
export const TokenRequest = z.strictObject({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
});
export type TokenRequest = z.infer<typeof TokenRequest>;

/** A signed access token, in the OAuth 2.0 token response's shape. */
export const TokenResponse = z.object({
  access_token: z.string().max(4096),
  token_type: z.literal('Bearer'),
  expires_in: z.int32().min(1),
});
export type TokenResponse = z.infer<typeof TokenResponse>;
