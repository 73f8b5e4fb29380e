import { sql, type Kysely } from 'kysely';
import type { LoginAttemptKey, LoginReservation } from '../../../ports/identity-store.js';
import type { Database } from '../schema.js';

/** How many finished windows one reservation clears away, so sprayed names cannot pile up. */
const SWEEP_ROWS = 10;

/**
 * Login guesses per name and source, reserved in one statement so parallel
 * guesses cannot all read the count before any is recorded.
 */
export class SqlLoginThrottle {
  constructor(private readonly db: Kysely<Database>) {}

  async reserveLoginAttempt(
    key: LoginAttemptKey,
    limit: number,
    windowMs: number,
    nowMs: number,
  ): Promise<LoginReservation> {
    const ended = nowMs - windowMs;
    const reserved = await this.db
      .insertInto('login_throttle')
      .values({
        name: key.name,
        source: key.source,
        failures: 0,
        pending: 1,
        window_start_ms: nowMs,
      })
      .onConflict((oc) =>
        oc
          .columns(['name', 'source'])
          .doUpdateSet((eb) => {
            const expired = eb('login_throttle.window_start_ms', '<=', ended);
            return {
              failures: eb
                .case()
                .when(expired)
                .then(0)
                .else(eb.ref('login_throttle.failures'))
                .end(),
              pending: eb
                .case()
                .when(expired)
                .then(1)
                .else(eb('login_throttle.pending', '+', 1))
                .end(),
              window_start_ms: eb
                .case()
                .when(expired)
                .then(nowMs)
                .else(eb.ref('login_throttle.window_start_ms'))
                .end(),
            };
          })
          .where((eb) =>
            eb.or([
              eb('login_throttle.window_start_ms', '<=', ended),
              eb(eb('login_throttle.failures', '+', eb.ref('login_throttle.pending')), '<', limit),
            ]),
          ),
      )
      .returning('pending')
      .executeTakeFirst();
    await sql`
      delete from login_throttle where (name, source) in (
        select name, source from login_throttle
        where window_start_ms <= ${ended} limit ${SWEEP_ROWS}
      )`.execute(this.db);
    if (reserved) return { allowed: true };
    const row = await this.db
      .selectFrom('login_throttle')
      .select(['failures', 'window_start_ms'])
      .where('name', '=', key.name)
      .where('source', '=', key.source)
      .executeTakeFirst();
    const startMs = row ? Number(row.window_start_ms) : nowMs;
    return {
      allowed: false,
      busy: row !== undefined && row.failures < limit,
      retryAfterMs: Math.max(1000, startMs + windowMs - nowMs),
    };
  }

  async settleLoginAttempt(
    key: LoginAttemptKey,
    outcome: 'right' | 'wrong',
    windowMs: number,
    nowMs: number,
  ): Promise<void> {
    await this.db
      .updateTable('login_throttle')
      .set((eb) => ({
        pending: sql<number>`greatest(${eb.ref('pending')} - 1, 0)`,
        ...(outcome === 'wrong' ? { failures: eb('failures', '+', 1) } : {}),
      }))
      .where('name', '=', key.name)
      .where('source', '=', key.source)
      .where('window_start_ms', '>', nowMs - windowMs)
      .execute();
  }
}
