import { sql, type Kysely, type Transaction } from 'kysely';
import type { NewManifest, PutManifestResult } from '../../ports/metadata-store.js';
import { repositoryEventData } from '../../notifications/event-data.js';
import { splitRepositoryName } from '../../oci/grammar.js';
import { admitContent, lockSizes } from './quota-accounting.js';
import { recordRegistryEvent } from './registry-events.js';
import type { Database } from './schema.js';
import type { ImmutabilityRules } from './sql-immutability.js';
import { pointTag } from './sql-tags.js';
import { lockRepository } from './sql-uploads.js';

export interface PushOptions {
  enforceQuotas: boolean;
  immutability: ImmutabilityRules;
}

const unique = (values: string[]) => [...new Set(values)];

/** A retag found its manifest gone or incomplete once locked: the whole push is tried again. */
class RetagFellThrough extends Error {}

/**
 * Stores a pushed manifest, its links and its tag, with quota sizes kept in
 * step, or says what is missing or over quota. A tag pushed to an image the
 * repository already holds takes a shorter path (`retag`).
 */
export async function pushManifest(
  db: Kysely<Database>,
  m: NewManifest,
  options: PushOptions,
): Promise<PutManifestResult> {
  try {
    return await db.transaction().execute((trx) => store(trx, m, options, true));
  } catch (error) {
    if (!(error instanceof RetagFellThrough)) throw error;
    return db.transaction().execute((trx) => store(trx, m, options, false));
  }
}

async function store(
  trx: Transaction<Database>,
  m: NewManifest,
  options: PushOptions,
  mayRetag: boolean,
): Promise<PutManifestResult> {
  if (mayRetag && m.tag !== null && m.childDigests.length === 0) {
    // Unlocked: only which path to take. The retag looks again under its locks.
    if (await liveManifest(trx, m, false)) return retag(trx, { ...m, tag: m.tag }, options);
  }
  return storeContent(trx, m, options);
}

/**
 * A tag pushed to an image the repository already holds (a retag, a
 * re-push): its content is unchanged, so its quota sizes are too, and the
 * size rows are not locked. It holds the repository row, then the
 * manifest's, FOR KEY SHARE. A repository's deletion locks the repository
 * row before it deletes the manifests, and garbage collection locks a
 * manifest FOR UPDATE and only then looks for tags pointing at it, so
 * neither removes what the new tag points at. Should the manifest be gone
 * or a blob unlinked by then, the push is tried again the full way, which
 * says exactly what is missing. Images only: an index's children have
 * their own checks.
 */
async function retag(
  trx: Transaction<Database>,
  m: NewManifest & { tag: string },
  options: PushOptions,
): Promise<PutManifestResult> {
  const { namespaceId } = await lockRepository(trx, m.repositoryId);
  const manifest = await liveManifest(trx, m, true);
  if (!manifest) throw new RetagFellThrough();
  const blobDigests = unique(m.blobDigests);
  const present = await linkedBlobs(trx, m.repositoryId, blobDigests);
  if (present.length < blobDigests.length) throw new RetagFellThrough();
  await pointTag(trx, m.repositoryId, m.tag, manifest.id, m.nowMs, options.immutability);
  const deliveries = await recordPush(trx, m, m.tag, namespaceId);
  return { stored: true, deliveries };
}

/** The pushed manifest's row in its repository, unless deleted; held FOR KEY SHARE when `hold`. */
async function liveManifest(trx: Transaction<Database>, m: NewManifest, hold: boolean) {
  const query = trx
    .selectFrom('manifest')
    .select('id')
    .where('repository_id', '=', m.repositoryId)
    .where('digest', '=', m.digest)
    .where('deleted_at_ms', 'is', null);
  return (hold ? query.forKeyShare() : query).executeTakeFirst();
}

async function storeContent(
  trx: Transaction<Database>,
  m: NewManifest,
  options: PushOptions,
): Promise<PutManifestResult> {
  const blobDigests = unique(m.blobDigests);
  // Size rows first: every writer of a repository's content locks them
  // in this order (see quota-accounting.ts).
  const sizes = await lockSizes(trx, m.repositoryId);
  await lockRepository(trx, m.repositoryId);
  const presentBlobs = await linkedBlobs(trx, m.repositoryId, blobDigests);
  const childDigests = unique(m.childDigests);
  const presentChildren =
    childDigests.length === 0
      ? []
      : await trx
          .selectFrom('manifest')
          .select(['id', 'digest'])
          .where('repository_id', '=', m.repositoryId)
          .where('digest', 'in', childDigests)
          .where('deleted_at_ms', 'is', null)
          .forShare()
          .execute();
  const haveBlobs = new Set(presentBlobs.map((r) => r.digest));
  const haveChildren = new Set(presentChildren.map((r) => r.digest));
  const missingBlobs = blobDigests.filter((d) => !haveBlobs.has(d));
  const missingManifests = childDigests.filter((d) => !haveChildren.has(d));
  if (missingBlobs.length > 0 || missingManifests.length > 0) {
    return { stored: false, missingBlobs, missingManifests };
  }
  const admission = await admitContent(
    trx,
    sizes,
    m.repositoryId,
    [
      { digest: m.digest, size: m.size },
      ...presentBlobs.map((b) => ({ ...b, size: Number(b.size) })),
    ],
    m.nowMs,
    options.enforceQuotas,
  );
  if (admission.exceeded) {
    return {
      stored: false,
      quotaExceeded: admission.exceeded,
      deliveries: admission.deliveries,
    };
  }

  const id = await insertManifest(trx, m, blobDigests);
  if (presentChildren.length > 0) {
    await trx
      .insertInto('manifest_child')
      .values(presentChildren.map((c) => ({ manifest_id: id, child_id: c.id })))
      .onConflict((oc) => oc.columns(['manifest_id', 'child_id']).doNothing())
      .execute();
  }
  let deliveries = admission.deliveries;
  if (m.tag !== null) {
    await pointTag(trx, m.repositoryId, m.tag, id, m.nowMs, options.immutability);
    deliveries += await recordPush(trx, m, m.tag, sizes.namespaceId);
  }
  return { stored: true, deliveries };
}

/**
 * The manifest's row (a deleted one with the same digest comes back) and
 * its links to its blobs, in one statement: the links' foreign key to the
 * row is checked at the statement's end, with the row in place.
 */
async function insertManifest(
  trx: Transaction<Database>,
  m: NewManifest,
  blobDigests: string[],
): Promise<number> {
  const rows = await trx
    .with('stored', (db) =>
      db
        .insertInto('manifest')
        .values({
          repository_id: m.repositoryId,
          digest: m.digest,
          media_type: m.mediaType,
          artifact_type: m.artifactType,
          subject_digest: m.subjectDigest,
          // An object, not a JSON string: each driver sends it typed as JSON.
          annotations: m.annotations,
          size: m.size,
          layers_size: m.layersSize,
          content: m.content,
          created_at_ms: m.nowMs,
          deleted_at_ms: null,
        })
        .onConflict((oc) =>
          oc.columns(['repository_id', 'digest']).doUpdateSet({ deleted_at_ms: null }),
        )
        .returning('id'),
    )
    .with('linked', (db) =>
      db
        .insertInto('manifest_blob')
        .columns(['manifest_id', 'digest', 'repository_id'])
        .expression(
          db
            .selectFrom([
              'stored',
              // A parameter per digest: the Data API takes no array parameters.
              sql<{
                digest: string;
              }>`unnest(array[${sql.join(blobDigests)}]::text[])`.as<'b'>(sql`b(digest)`),
            ])
            .select(['stored.id', 'b.digest', sql<number>`${m.repositoryId}::bigint`.as('r')]),
        )
        .onConflict((oc) => oc.columns(['manifest_id', 'digest']).doNothing()),
    )
    .selectFrom('stored')
    .select('id')
    .execute();
  return rows[0]!.id;
}

/**
 * Which of `digests` the repository holds, with their sizes. FOR SHARE: a
 * blob unlink or garbage collection racing this push waits for it, so a
 * stored manifest never lacks a blob.
 */
async function linkedBlobs(trx: Transaction<Database>, repositoryId: number, digests: string[]) {
  if (digests.length === 0) return [];
  return trx
    .selectFrom('repository_blob')
    .innerJoin('blob', 'blob.digest', 'repository_blob.digest')
    .select(['repository_blob.digest', 'blob.size'])
    .where('repository_blob.repository_id', '=', repositoryId)
    .where('repository_blob.digest', 'in', digests)
    .orderBy('repository_blob.digest')
    .forShare('repository_blob')
    .execute();
}

/** Quay's `repo_push`: one event per manifest pushed by tag. The request audits the push itself. */
async function recordPush(
  trx: Transaction<Database>,
  m: NewManifest,
  tag: string,
  namespaceId: number | null,
) {
  const { namespace } = splitRepositoryName(m.pushed.repository);
  const { deliveries } = await recordRegistryEvent(trx, {
    kind: 'repo_push',
    performer: m.pushed.performer,
    namespace:
      namespaceId !== null && namespace !== null ? { id: namespaceId, name: namespace } : null,
    repository: { id: m.repositoryId, name: m.pushed.repository },
    data: repositoryEventData(m.pushed.repository, {
      updated_tags: [tag],
      manifest_digest: m.digest,
    }),
    audit: false,
    nowMs: m.nowMs,
  });
  return deliveries;
}
