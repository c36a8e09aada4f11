import { randomBytes } from 'node:crypto';

/**
 * Where one hop stands in a W3C Trace Context trace (https://www.w3.org/TR/trace-context/):
 * the trace it belongs to, its own span, the span of the caller that sent it on, and the
 * trace flags and vendor `tracestate` it received.
 */
export interface TraceContext {
  /** 32 lowercase hex digits, the same on every hop of the trace. */
  traceId: string;
  /** 16 lowercase hex digits, new on every hop: the parent id this hop sends on. */
  spanId: string;
  /** The caller's span id, when the trace was continued from a `traceparent`. */
  parentSpanId?: string;
  /** Two hex digits; `01` means sampled. Passed on as received. */
  flags: string;
  /** The `tracestate` header as received, passed on unchanged. */
  tracestate?: string;
}

// version-traceid-parentid-flags. Versions above 00 may append fields after another dash.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZEROS = /^0+$/;
// At most 32 list members of printable ASCII, no longer than 512 characters in all.
const TRACESTATE = /^[\x20-\x7e]{0,512}$/;
const MAX_TRACESTATE_MEMBERS = 32;

/** The parts of a valid `traceparent` header, or undefined for anything the spec says to ignore. */
export function parseTraceparent(
  header: string | undefined,
): { traceId: string; parentId: string; flags: string } | undefined {
  const match = TRACEPARENT.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, version = '', traceId = '', parentId = '', flags = '', rest] = match;
  // ff is forbidden; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

/** A new trace, starting at this hop. */
export function startTrace(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), flags: '01' };
}

/**
 * This hop's place in the caller's trace: the same trace id and flags, a new span id, and
 * the caller's span as parent. Without a valid `traceparent` a new trace starts, and the
 * `tracestate` is then dropped, as the spec requires.
 */
export function continueTrace(
  traceparent: string | undefined,
  tracestate: string | undefined,
): TraceContext {
  const parent = parseTraceparent(traceparent);
  if (!parent) return startTrace();
  const trace: TraceContext = {
    traceId: parent.traceId,
    spanId: randomHex(8),
    parentSpanId: parent.parentId,
    flags: parent.flags,
  };
  if (tracestate !== undefined && isValidTracestate(tracestate)) trace.tracestate = tracestate;
  return trace;
}

/** The `traceparent` this hop sends on: always version 00, with its own span as the parent id. */
export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

function isValidTracestate(tracestate: string): boolean {
  return TRACESTATE.test(tracestate) && tracestate.split(',').length <= MAX_TRACESTATE_MEMBERS;
}

function randomHex(bytes: number): string {
  // Random bytes are all zeros once in 2^64 draws at worst; that id would be invalid, so draw again.
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!ALL_ZEROS.test(hex)) return hex;
  }
}
