/**
 * Runs `task` now and then again `intervalMs` after each run ends (never two at once), until
 * stopped: how pages keep live figures current without piling requests on a slow API.
 */
export function repeat(task: () => Promise<void>, intervalMs: number): () => void {
  let stopped = false;
  let timer: number | undefined;
  const run = async () => {
    try {
      await task();
    } finally {
      if (!stopped) timer = window.setTimeout(run, intervalMs);
    }
  };
  void run();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
