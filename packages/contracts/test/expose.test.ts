import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEndpoint, expose, Problem, problemResponses } from '../src/index.js';

const Widget = z.object({ id: z.string().max(10) });
const WidgetView = Widget.extend({ owner: z.string().max(10) });
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
    const exposed = expose(getWidget, { prefix: '/api', adds: [] });

    expect(exposed).toEqual({ ...getWidget, path: '/api/widgets/:widgetId' });
  });

  it('answers the statuses the gateway adds with a problem, and drops those it omits', () => {
    const exposed = expose(getWidget, { prefix: '/api', adds: [429, 503], omits: [401] });

    expect(exposed.responses).toEqual({ 200: Widget, 404: Problem, 429: Problem, 503: Problem });
  });

  it('replaces what the exposure names: path, parameters, summary, roles and answers', () => {
    const Params = z.strictObject({ publicId: z.string().max(20) });

    const exposed = expose(getWidget, {
      path: '/api/things/:publicId',
      params: Params,
      summary: 'One widget with its owner',
      access: 'anyone',
      responses: { 200: WidgetView },
      adds: [],
    });

    expect(exposed).toMatchObject({
      path: '/api/things/:publicId',
      params: Params,
      summary: 'One widget with its owner',
      access: 'anyone',
      responses: { 200: WidgetView, 401: Problem, 404: Problem },
    });
  });

  it('refuses a record that says nobody may call it', () => {
    const { access: _access, ...unguarded } = getWidget;

    expect(() => expose(unguarded, { prefix: '/api', adds: [] })).toThrow(
      'Say who may call /widgets/:widgetId in public',
    );
  });
});
