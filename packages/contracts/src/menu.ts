import { z } from 'zod';
import { Cents, Currency, MenuItemId } from './common.js';

/** A dish on the menu with its price. `available` is false when it is off the menu. */
export const MenuItem = z.object({
  id: MenuItemId,
  name: z.string().max(100),
  description: z.string().max(500),
  priceCents: Cents,
  currency: Currency,
  available: z.boolean(),
});
export type MenuItem = z.infer<typeof MenuItem>;

/** The whole menu. */
export const Menu = z.object({
  items: z.array(MenuItem).max(100),
});
export type Menu = z.infer<typeof Menu>;
