import { randomBytes } from 'node:crypto';

/** A new opaque id with a type prefix, such as `ord_5f2c9a4e1b7d3068a1c2e4f6`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}
