import { useCallback, useEffect, useRef, useState } from 'react';

/** A value loaded from the API: the latest value, the latest error, and a way to load again. */
export interface Resource<T> {
  value: T | undefined;
  error: unknown;
  reload: () => void;
}

/**
 * Loads `load()` now, again on `reload()`, and every `refreshMs` while set (null: never).
 * A reload while one is running waits for it, so answers never arrive out of order.
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  refreshMs: number | null = null,
): Resource<T> {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const running = useRef<Promise<void> | null>(null);
  const again = useRef(false);

  // The caller names what `load` depends on, as for useEffect.
  const reload = useCallback(() => {
    if (running.current) {
      again.current = true;
      return;
    }
    running.current = load()
      .then((next) => {
        setValue(next);
        setError(null);
      })
      .catch(setError)
      .finally(() => {
        running.current = null;
        if (again.current) {
          again.current = false;
          reload();
        }
      });
  }, deps);

  useEffect(() => {
    reload();
    if (refreshMs === null) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [reload, refreshMs]);

  return { value, error, reload };
}
