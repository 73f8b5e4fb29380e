/**
 * How long the data plane's SIGTERM handler waits for requests in flight.
 * ECS sends SIGTERM only after the load balancer drained the task (its
 * deregistration delay, long enough for a multi-gigabyte upload) and kills
 * the task at the stop timeout (at most 120 s on Fargate), so this is what
 * is left for stragglers, with time to flush the audit log.
 */
export const STOP_GRACE_MS = 110_000;
