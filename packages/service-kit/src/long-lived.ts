import type { Application } from 'express';

/** The long-lived connections of one app, kept in its `app.locals`. */
interface LongLivedRegistry {
  ends: Set<{ end: () => void }>;
  /** Set once the app has ended them for shutdown; a connection registered later ends at once. */
  ended: boolean;
}

const REGISTRY = 'longLivedConnections';

function registryOf(app: Pick<Application, 'locals'>): LongLivedRegistry {
  let registry = app.locals[REGISTRY] as LongLivedRegistry | undefined;
  if (!registry) {
    registry = { ends: new Set(), ended: false };
    app.locals[REGISTRY] = registry;
  }
  return registry;
}

/**
 * Registers a connection that never finishes on its own, such as an event stream or a
 * WebSocket, so that graceful shutdown can end it (`end` should finish the response or
 * close the socket). Returns the function that unregisters it, to call once the connection
 * is gone. Registered once the app is shutting down, `end` is called right away.
 */
export function endOnShutdown(app: Pick<Application, 'locals'>, end: () => void): () => void {
  const registry = registryOf(app);
  if (registry.ended) {
    setImmediate(end);
    return () => {};
  }
  const entry = { end };
  registry.ends.add(entry);
  return () => {
    registry.ends.delete(entry);
  };
}

/**
 * Ends every connection registered with {@link endOnShutdown}, and any registered from now
 * on. A server's `close()` waits for its open connections, so this must come first.
 */
export function endLongLivedConnections(app: Pick<Application, 'locals'>): void {
  const registry = registryOf(app);
  registry.ended = true;
  const entries = [...registry.ends];
  registry.ends.clear();
  for (const { end } of entries) end();
}
