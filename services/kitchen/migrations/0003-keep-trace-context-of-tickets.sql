-- The trace a ticket was created in (W3C Trace Context), so that preparing it later, and the
-- status reports that follows, continue the trace of the payment that asked for it.
alter table tickets add column traceparent text, add column tracestate text;
