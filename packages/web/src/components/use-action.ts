import { useState } from 'react';

/** Something the user does that calls the API: whether it runs, and the problem it last met. */
export interface Action {
  busy: boolean;
  error: unknown;
  /** Runs `task`, keeping its failure for the page to show; resolves to its result, if any. */
  run: <T>(task: () => Promise<T>) => Promise<T | undefined>;
}

/** The state of one kind of action on a page, such as paying or placing an order. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return {
    busy,
    error,
    async run(task) {
      setBusy(true);
      setError(null);
      try {
        return await task();
      } catch (failure) {
        setError(failure);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
  };
}
