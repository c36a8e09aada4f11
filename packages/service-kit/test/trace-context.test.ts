import { describe, expect, it } from 'vitest';
import {
  continueTrace,
  formatTraceparent,
  parseTraceparent,
  startTrace,
} from '../src/trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe('parseTraceparent', () => {
  it('reads the trace id, parent id and flags of a version 00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: '01',
    });
  });

  it('reads the first four fields of a later version, which may append more', () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-what-comes-next`)).toEqual({
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: '01',
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['upper case', VALID.toUpperCase()],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['version 00 with more fields', `${VALID}-extra`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['two headers joined', `${VALID}, ${VALID}`],
  ])('ignores a header that is %s', (_case, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('continueTrace', () => {
  it('keeps the trace id, flags and tracestate, and gives this hop a span of its own', () => {
    const trace = continueTrace(`00-${TRACE_ID}-${PARENT_ID}-00`, 'vendor=opaque');

    expect(trace).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: PARENT_ID,
      flags: '00',
      tracestate: 'vendor=opaque',
    });
    expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.spanId).not.toBe(PARENT_ID);
    expect(formatTraceparent(trace)).toBe(`00-${TRACE_ID}-${trace.spanId}-00`);
  });

  it('starts a new trace, dropping the tracestate, when the traceparent is invalid', () => {
    const trace = continueTrace('garbage', 'vendor=opaque');

    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.traceId).not.toBe(TRACE_ID);
    expect(trace.parentSpanId).toBeUndefined();
    expect(trace.tracestate).toBeUndefined();
  });

  it('drops a tracestate longer than 512 characters', () => {
    expect(continueTrace(VALID, `a=${'x'.repeat(600)}`).tracestate).toBeUndefined();
  });
});

describe('startTrace', () => {
  it('makes a sampled trace whose traceparent parses back', () => {
    const trace = startTrace();

    expect(parseTraceparent(formatTraceparent(trace))).toEqual({
      traceId: trace.traceId,
      parentId: trace.spanId,
      flags: '01',
    });
  });
});
