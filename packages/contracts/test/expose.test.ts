import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEndpoint, expose, Problem, problemResponses } from '../src/index.js';

const Widget = z.object({ id: z.string().max(10) });
const WidgetView = Widget.extend({ owner: z.string().max(10) });
const forwarded = problemResponses(429, 502, 503, 504);
const getWidget = defineEndpoint({
  method: 'GET',
  path: '/widgets/:widgetId',
  summary: 'One widget, from the widget store',
  access: ['customer'],
  params: z.strictObject({ widgetId: z.string().max(10) }),
  responses: { 200: Widget, ...problemResponses(401, 404) },
});

describe('expose', () => {
  it('puts the prefix before the path and keeps the schemas, the summary and the roles', () => {
    const exposed = expose(getWidget, { prefix: '/api' });

    expect(exposed).toEqual({
      ...getWidget,
      path: '/api/widgets/:widgetId',
      responses: { ...getWidget.responses, ...forwarded },
    });
  });

  it('answers what the gateway answers itself with a problem, and drops what it omits', () => {
    const exposed = expose(getWidget, { prefix: '/api', adds: [426], omits: [401] });

    expect(exposed.responses).toEqual({ 200: Widget, 404: Problem, 426: Problem, ...forwarded });
  });

  it('adds the too-large and not-JSON problems to a route with a body', () => {
    const putWidget = defineEndpoint({ ...getWidget, method: 'PUT', body: Widget });

    const exposed = expose(putWidget, { prefix: '/api' });

    expect(exposed.responses).toEqual({
      ...getWidget.responses,
      ...problemResponses(413, 415),
      ...forwarded,
    });
  });

  it('replaces what the exposure names: path, parameters, summary, roles and answers', () => {
    const Params = z.strictObject({ publicId: z.string().max(20) });

    const exposed = expose(getWidget, {
      path: '/api/things/:publicId',
      params: Params,
      summary: 'One widget with its owner',
      access: 'anyone',
      responses: { 200: WidgetView },
    });

    expect(exposed).toMatchObject({
      path: '/api/things/:publicId',
      params: Params,
      summary: 'One widget with its owner',
      access: 'anyone',
      responses: { 200: WidgetView, 401: Problem, 404: Problem, ...forwarded },
    });
  });

  it('refuses a record that says nobody may call it', () => {
    const { access: _access, ...unguarded } = getWidget;

    expect(() => expose(unguarded, { prefix: '/api' })).toThrow(
      'Say who may call /widgets/:widgetId in public',
    );
  });
});
