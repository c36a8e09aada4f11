/**
 * The reference peer of the gateway efficiency benchmark: the least a gateway can be, bare
 * express and http-proxy-middleware with a keep-alive agent. It maps /api/orders to the order
 * service's /orders and sets the internal credential it is given; no authentication, limits,
 * logging or validation. Run with tsx; reads PORT, HOST, ORDER_SERVICE_URL and
 * INTERNAL_AUTHORIZATION (a whole `Bearer …` header value).
 */
import { Agent } from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};

const port = Number(process.env.PORT ?? 8090);
const host = process.env.HOST ?? '127.0.0.1';

const app = express();
app.use(
  createProxyMiddleware({
    target: required('ORDER_SERVICE_URL'),
    agent: new Agent({ keepAlive: true }),
    pathFilter: '/api/orders',
    pathRewrite: { '^/api/orders': '/orders' },
    // Replaces whatever Authorization the client sent.
    headers: { authorization: required('INTERNAL_AUTHORIZATION') },
  }),
);
app.listen(port, host);
