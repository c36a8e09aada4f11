/**
 * A row of an aggregate's transition table: from any of `from` to `to`. An `idempotent` one,
 * asked again once in `to`, changes nothing instead of being refused.
 */
export interface Transition<Status extends string> {
  readonly from: readonly Status[];
  readonly to: Status;
  readonly idempotent?: boolean;
}
