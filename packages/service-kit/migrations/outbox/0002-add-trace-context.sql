-- The W3C trace context of the work that enqueued a message, so that its delivery, however
-- much later and from whichever replica, continues the same trace.
alter table outbox add column traceparent text, add column tracestate text;
