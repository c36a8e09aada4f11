/** A status word as the API spells it (`READY`, …), coloured by what it means. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}
