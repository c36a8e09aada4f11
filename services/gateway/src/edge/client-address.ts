import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { GatewayConfig } from '../config.js';

/**
 * The client's address as express's `trust proxy` setting (`TRUST_PROXY`) gives it as
 * `req.ip`, for the requests express never sees: WebSocket handshakes.
 */
export function clientAddressOf(
  trustProxy: GatewayConfig['TRUST_PROXY'],
): (req: IncomingMessage) => string | undefined {
  if (trustProxy === false) return (req) => req.socket.remoteAddress;
  // The way express reads a hop count: the nearest `trustProxy` hops are proxies.
  const trust =
    typeof trustProxy === 'number'
      ? (_address: string, hop: number) => hop < trustProxy
      : proxyaddr.compile(trustProxy);
  return (req) => proxyaddr(req, trust);
}
