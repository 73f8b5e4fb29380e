import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import {
  MAX_JOB_DELAY_MS,
  type Job,
  type PolledJobQueue,
  type ReceivedJob,
} from '../../ports/job-queue.js';
import type { Clock } from '../../ports/clock.js';
import { asJson } from '../sql/identity/rows.js';
import type { Database } from '../sql/schema.js';

/**
 * The job queue as a table, for the local runtime. `receive` works like
 * SQS: it hides the jobs it hands out for a visibility timeout under a fresh
 * receipt; a consumer that dies leaves them to reappear. Consumers receiving
 * at the same moment take different rows (`FOR UPDATE SKIP LOCKED`).
 */
export class SqlJobQueue implements PolledJobQueue {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly queue = 'work',
    /** Told after every send, with how long until the jobs are visible: consumers here wake then. */
    private readonly onSent: (visibleInMs: number) => void = () => {},
  ) {}

  async send(jobs: Job[], options: { delayMs?: number } = {}): Promise<void> {
    if (jobs.length === 0) return;
    const now = this.clock.now();
    const visibleAt = now + Math.min(Math.max(options.delayMs ?? 0, 0), MAX_JOB_DELAY_MS);
    await this.db
      .insertInto('job')
      .values(
        jobs.map((job) => ({
          queue: this.queue,
          body: asJson(job),
          visible_at_ms: visibleAt,
          receive_count: 0,
          receipt: null,
          created_at_ms: now,
        })),
      )
      .execute();
    this.onSent(visibleAt - now);
  }

  async receive(max: number, visibilityMs: number): Promise<ReceivedJob[]> {
    const now = this.clock.now();
    const receipt = randomUUID();
    const { rows } = await sql<{ id: number; body: Job; receive_count: number }>`
      update job set visible_at_ms = ${now + visibilityMs},
        receive_count = receive_count + 1, receipt = ${receipt} || ':' || id::text
      where id in (
        select id from job where queue = ${this.queue} and visible_at_ms <= ${now}
        order by visible_at_ms, id limit ${max} for update skip locked)
      returning id, body, receive_count`.execute(this.db);
    return rows.map((r) => ({
      job: r.body,
      receipt: `${receipt}:${r.id}`,
      receiveCount: r.receive_count,
    }));
  }

  async delete(receipt: string): Promise<void> {
    await this.db.deleteFrom('job').where('receipt', '=', receipt).execute();
  }

  /** Jobs waiting or in flight, for tests and the start-up banner. */
  async depth(): Promise<number> {
    const row = await this.db
      .selectFrom('job')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('queue', '=', this.queue)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
