import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

/** Resolves a host name to the addresses of every replica behind it. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** Every address of a host name, IPv4 first: services listen on IPv4 unless told otherwise. */
export const resolveAllAddresses: Resolver = async (hostname) => {
  const addresses = await lookup(hostname, { all: true });
  const ipv4 = addresses.filter((address) => address.family === 4);
  return (ipv4.length > 0 ? ipv4 : addresses).map((address) => address.address);
};

/** An agent whose connections always go to one address, whatever the URL's host name. */
function agentTo(address: string, secure: boolean): http.Agent {
  const family = isIP(address);
  const pinned = ((_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
  return secure
    ? new https.Agent({ keepAlive: true, lookup: pinned })
    : new http.Agent({ keepAlive: true, lookup: pinned });
}

interface Resolution {
  addresses: string[];
  expiresAt: number;
  next: number;
}

/**
 * Spreads calls to a host name over every address it resolves to, in turn, with a pool
 * of keep-alive connections per address. A scaled service in docker compose is one name
 * with an address per replica; a single keep-alive pool would keep reusing the
 * connection to whichever replica it reached first. Resolutions are kept for `ttlMs`, so
 * new replicas join and removed ones leave within that time; `forget` drops one at once.
 */
export class ReplicaBalancer {
  readonly #resolve: Resolver;
  readonly #ttlMs: number;
  readonly #resolutions = new Map<string, Resolution>();
  readonly #agents = new Map<string, http.Agent>();

  constructor(resolve: Resolver = resolveAllAddresses, ttlMs = 1_000) {
    this.#resolve = resolve;
    this.#ttlMs = ttlMs;
  }

  /**
   * The agent for the next call to `url`'s host. Rejects with the resolver's error (such as
   * `ENOTFOUND`) when the name does not resolve; callers reach it through an `Upstream`, which
   * answers that as the downstream being unavailable.
   */
  async agentFor(url: URL): Promise<http.Agent> {
    const secure = url.protocol === 'https:';
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const address = isIP(hostname) ? hostname : await this.#nextAddress(hostname);
    const key = `${secure ? 'https' : 'http'}:${address}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = agentTo(address, secure);
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /** Resolves `hostname` afresh on its next call, such as after a replica refused a connection. */
  forget(hostname: string): void {
    const resolution = this.#resolutions.get(hostname);
    if (resolution) resolution.expiresAt = 0;
  }

  async #nextAddress(hostname: string): Promise<string> {
    let resolution = this.#resolutions.get(hostname);
    if (!resolution || resolution.expiresAt <= Date.now()) {
      const addresses = await this.#resolve(hostname);
      this.#closePoolsOfGoneReplicas(resolution?.addresses ?? [], addresses);
      if (addresses.length === 0)
        throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
      resolution = { addresses, expiresAt: Date.now() + this.#ttlMs, next: resolution?.next ?? 0 };
      this.#resolutions.set(hostname, resolution);
    }
    const address = resolution.addresses[resolution.next % resolution.addresses.length] as string;
    resolution.next += 1;
    return address;
  }

  /** Closes the connection pools of addresses a host name no longer resolves to. */
  #closePoolsOfGoneReplicas(before: string[], now: string[]): void {
    for (const address of before.filter((previous) => !now.includes(previous))) {
      for (const scheme of ['http', 'https']) {
        this.#agents.get(`${scheme}:${address}`)?.destroy();
        this.#agents.delete(`${scheme}:${address}`);
      }
    }
  }
}
