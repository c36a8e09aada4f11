/**
 * A row of an aggregate's transition table: from any of `from` to `to`. An `idempotent` one,
 * asked again once in `to`, changes nothing instead of being refused.
 */
export interface Transition<Status extends string> {
  readonly from: readonly Status[];
  readonly to: Status;
  readonly idempotent?: boolean;
}

/**
 * The status `transition` leaves an aggregate in `status` in: its `to`, the same status when an
 * idempotent transition already happened, or undefined when it may not happen now.
 */
export function nextStatus<Status extends string>(
  transition: Transition<Status>,
  status: Status,
): Status | undefined {
  if (transition.from.includes(status)) return transition.to;
  if (transition.idempotent && status === transition.to) return status;
  return undefined;
}
