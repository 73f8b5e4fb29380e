/**
 * What a Lambda builds once per instance (clients, secrets, the app), kept
 * for the instance's life; a failed build is forgotten, so one transient
 * error at a cold start (Secrets Manager throttling, a resuming database)
 * fails that invocation only and the next one tries again.
 */
export function lazyInit<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
