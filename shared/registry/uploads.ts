import { ociError } from '../errors/registry-error.js';
import { createDigester, finishDigest, parseDigest, type Digest } from '../oci/digest.js';
import type { ByteSource, StagedUpload, UploadState } from '../ports/blob-store.js';
import { StorageUnavailableError, UploadNotFoundError } from '../ports/errors.js';
import type { RepositoryRecord, UploadClaim, UploadRecord } from '../ports/metadata-store.js';
import type { RunningHash } from '../ports/sha256.js';
import { KeyedLock } from './keyed-lock.js';
import type { RegistryDeps } from './registry-deps.js';
import { assertRepositoryName, repositoryForPush, sameRepository } from './repositories.js';
import { ExpiresAfterLabels, LEARNED_BLOB_BYTES, LeadingBytes } from './expires-after.js';
import { quotaDenied } from './quota-policy.js';
import { RunningDigests } from './running-digests.js';
import { SessionHold } from './session-hold.js';

/**
 * Blob upload sessions.
 *
 * Invariants:
 * - The session's metadata row is its one commit point. An append writes
 *   bytes to the store, then saves the new size, the store's state and the
 *   running SHA-256 state in one conditional write; until that write lands
 *   the bytes are not part of the upload, so a failed or interrupted append
 *   leaves the upload exactly as it was, and any process can continue it.
 * - A request holds the session while it works on it (`SessionHold`): a
 *   second request, in this process or another, gets a clean 416 with the
 *   current `Range`, never half of two appends.
 * - Bytes become a blob only in `finish`, after their digest matched:
 *   from the saved running state, or by hashing the staged bytes again when
 *   none survived. The blob is visible once its placement is recorded, in
 *   the same transaction that ends the session; a crash before leaves
 *   bytes nothing points at, never a visible partial blob.
 * - A failed digest check or a cancel removes the staged bytes, then the row.
 */

/** Parsed `Content-Range` of a chunk: inclusive start and end. */
export interface ChunkRange {
  start: number;
  end: number;
}

export type UploadStart =
  | { kind: 'session'; uploadId: string; offset: number; location: string }
  | { kind: 'blob'; digest: string }
  /** This server cannot take the upload now; the server that writes `location` can. */
  | { kind: 'elsewhere'; location: string };

export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

/** `Content-Range` as the spec writes it (`0-1023`); tolerates the `bytes ` prefix. */
export function parseContentRange(value: string, currentSize: number): ChunkRange {
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim());
  if (!match || Number(match[2]) < Number(match[1])) {
    throw rangeError('Content-Range must be <start>-<end>', currentSize);
  }
  return { start: Number(match[1]), end: Number(match[2]) };
}

function rangeError(message: string, currentSize: number) {
  return ociError('RANGE_INVALID', {
    message,
    detail: { size: currentSize },
    headers: { Range: rangeHeader(currentSize) },
  });
}

const unknownUpload = (uploadId: string) =>
  ociError('BLOB_UPLOAD_UNKNOWN', { detail: { uploadId } });

/**
 * Upload ids are ours (UUIDs), so anything else names no upload: refused
 * before a query, where a NUL byte would otherwise reach the database.
 */
const UPLOAD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function assertUploadId(uploadId: string): void {
  if (!UPLOAD_ID.test(uploadId)) throw unknownUpload(uploadId);
}

async function* metered(
  source: ByteSource,
  hash: RunningHash | null,
  expectedLength: number | undefined,
  hold: SessionHold,
  leading: LeadingBytes | undefined,
): ByteSource {
  let length = 0;
  for await (const chunk of source) {
    if (hold.lost) throw unknownUpload(hold.uploadId);
    length += chunk.byteLength;
    if (expectedLength !== undefined && length > expectedLength) {
      throw ociError('SIZE_INVALID', { message: 'chunk is longer than its Content-Range' });
    }
    hash?.update(chunk);
    leading?.add(chunk);
    yield chunk;
  }
  if (expectedLength !== undefined && length !== expectedLength) {
    throw ociError('SIZE_INVALID', { message: 'chunk is shorter than its Content-Range' });
  }
}

const staged = (upload: UploadRecord): StagedUpload => ({
  id: upload.id,
  size: upload.size,
  state: upload.state,
});

export class UploadService {
  private readonly running = new RunningDigests();
  private readonly locks = new KeyedLock();

  constructor(
    private readonly deps: RegistryDeps,
    private readonly labels = new ExpiresAfterLabels(deps),
  ) {}

  /** The repository a push goes to, created on first push, unless its namespace is full. */
  private async pushTarget(name: string, known?: RepositoryRecord | null): Promise<number> {
    const repository = await repositoryForPush(this.deps, name, known);
    const overQuota = await this.deps.metadata.quotaRejection(repository.id);
    if (overQuota) throw quotaDenied(overQuota);
    return repository.id;
  }

  /**
   * `POST .../blobs/uploads/`, optionally as a cross-repository mount. With
   * `mayHandOff`, an upload this server cannot store now (its own locations
   * down) is handed to the server of a healthy location instead. `known`,
   * here and below: the repository as the permission check just read it.
   */
  async start(
    name: string,
    mount?: { digest: string; from?: string },
    mayHandOff = false,
    known?: RepositoryRecord | null,
  ): Promise<UploadStart> {
    const repositoryId = await this.pushTarget(name, known);
    if (mount?.from && parseDigest(mount.digest)) {
      const mounted = await this.tryMount(repositoryId, mount.digest, mount.from);
      if (mounted) return { kind: 'blob', digest: mount.digest };
    }
    const handOff = async () => (mayHandOff ? await this.deps.storage.handOff() : null);
    const elsewhere = await handOff();
    if (elsewhere) return { kind: 'elsewhere', location: elsewhere };
    try {
      const upload = await this.open(repositoryId);
      return { kind: 'session', uploadId: upload.id, offset: 0, location: upload.location };
    } catch (error) {
      // The failure just seen marked this server's locations down: another may take it.
      const found = error instanceof StorageUnavailableError ? await handOff() : null;
      if (found) return { kind: 'elsewhere', location: found };
      throw error;
    }
  }

  /** Starts the upload's staging in the best healthy location; a failing one hands over to the next. */
  private async startAnywhere(id: string): Promise<{ location: string; state: UploadState }> {
    const storage = this.deps.storage;
    let failure: unknown;
    const locations = await storage.writable();
    for (const location of locations) {
      try {
        return { location, state: await storage.get(location).startUpload(id) };
      } catch (error) {
        storage.health.reportFailure(location, error);
        failure = error;
      }
    }
    throw new StorageUnavailableError(locations, { cause: failure });
  }

  private async open(
    repositoryId: number,
    claim?: UploadClaim,
    id = this.deps.newId(),
  ): Promise<UploadRecord> {
    const { location, state } = await this.startAnywhere(id);
    const hash = this.deps.sha256.start();
    const upload: UploadRecord = {
      id,
      repositoryId,
      location,
      size: 0,
      createdAtMs: this.deps.clock.now(),
      state,
      digestState: hash.save(),
    };
    await this.deps.metadata.createUpload(upload, claim);
    this.running.remember(id, 0, hash);
    return upload;
  }

  /** A mount that cannot happen (unknown source, blob not there) falls back to an upload. */
  private async tryMount(repositoryId: number, digest: string, from: string): Promise<boolean> {
    const source = await this.deps.metadata.findRepository(from);
    if (!source) return false;
    const blob = await this.deps.cache.repositoryBlob(source.id, digest, () =>
      this.deps.metadata.findRepositoryBlob(source.id, digest),
    );
    if (!blob) return false;
    return this.deps.metadata.linkBlob(repositoryId, digest, this.deps.clock.now());
  }

  /** `POST .../blobs/uploads/?digest=` with the whole blob as body. */
  async uploadMonolithic(
    name: string,
    digest: string,
    data: ByteSource,
    known?: RepositoryRecord | null,
  ): Promise<string> {
    const expected = this.requireDigest(digest);
    const repositoryId = await this.pushTarget(name, known);
    // The session is born held by this request.
    const id = this.deps.newId();
    const hold = new SessionHold(this.deps, id);
    const upload = await this.open(repositoryId, hold.claim(), id);
    return this.held(hold, () => this.finishHeld(hold, upload, expected, data, undefined));
  }

  /** Runs `task` while this request holds the session, and lets it go after. */
  private async held<T>(hold: SessionHold, task: () => Promise<T>): Promise<T> {
    hold.begin();
    try {
      return await task();
    } finally {
      await hold.end();
    }
  }

  /** Claims the session of `name` for one request, then runs `task` with it. */
  private async withSession<T>(
    name: string,
    uploadId: string,
    known: RepositoryRecord | null | undefined,
    task: (hold: SessionHold, upload: UploadRecord) => Promise<T>,
  ): Promise<T> {
    assertRepositoryName(name);
    assertUploadId(uploadId);
    // An unknown repository cannot hold the session: the session is what is unknown.
    const repository =
      sameRepository(name, known) ?? (await this.deps.metadata.findRepository(name));
    if (!repository) throw unknownUpload(uploadId);
    return this.locks.run(uploadId, async () => {
      const hold = new SessionHold(this.deps, uploadId);
      const claimed = await this.deps.metadata.claimUpload(repository.id, uploadId, hold.claim());
      if (!claimed) throw unknownUpload(uploadId);
      if (claimed.kind === 'busy') {
        throw rangeError('another request is writing this upload', claimed.size);
      }
      return this.held(hold, () => task(hold, claimed.upload));
    });
  }

  /** `GET` on an upload: bytes received so far. */
  async status(name: string, uploadId: string): Promise<number> {
    assertRepositoryName(name);
    assertUploadId(uploadId);
    const repository = await this.deps.metadata.findRepository(name);
    const upload = repository && (await this.deps.metadata.findUpload(repository.id, uploadId));
    if (!upload) throw unknownUpload(uploadId);
    return upload.size;
  }

  /** `PATCH`: a streamed chunk (no range) or a chunk at `range`. Returns the new size. */
  async append(
    name: string,
    uploadId: string,
    data: ByteSource,
    contentRange?: string,
    known?: RepositoryRecord | null,
  ): Promise<number> {
    return this.withSession(name, uploadId, known, async (hold, upload) => {
      const appended = await this.appendHeld(hold, upload, data, contentRange, false);
      return appended.size;
    });
  }

  /** The running hash at exactly the upload's committed size, if one survived anywhere. */
  private hashAt(upload: UploadRecord): RunningHash | null {
    const inMemory = this.running.at(upload.id, upload.size);
    if (inMemory) return inMemory;
    return upload.digestState ? this.deps.sha256.resume(upload.digestState) : null;
  }

  /**
   * Appends `data` at the upload's committed size. The new size is committed
   * (and the session let go) unless the request goes on to finish the
   * upload: then publishing the blob is the commit, and a finish that fails
   * leaves the session as it was before the request, as an interrupted
   * append does.
   */
  private async appendHeld(
    hold: SessionHold,
    upload: UploadRecord,
    data: ByteSource,
    contentRange: string | undefined,
    finishing: boolean,
    leading?: LeadingBytes,
  ): Promise<UploadRecord> {
    const offset = upload.size;
    let expectedLength: number | undefined;
    if (contentRange !== undefined) {
      const range = parseContentRange(contentRange, offset);
      if (range.start !== offset) {
        throw rangeError(`chunk starts at ${range.start}, upload is at ${offset}`, offset);
      }
      expectedLength = range.end - range.start + 1;
    }
    // Hash into a copy: the running digest may only move once the append commits.
    // A request that brings the whole blob and finishes it leaves no state to save.
    const hash =
      finishing && offset === 0
        ? this.deps.sha256.startUnsaved()
        : (this.hashAt(upload)?.copy() ?? null);
    let appended: { size: number; state: UploadState };
    try {
      appended = await this.deps.storage
        .get(upload.location)
        .appendUpload(staged(upload), metered(data, hash, expectedLength, hold, leading));
    } catch (error) {
      if (error instanceof UploadNotFoundError) throw unknownUpload(upload.id);
      throw error;
    }
    const digestState = finishing ? null : (hash?.save() ?? null);
    if (!finishing) {
      const committed = await this.deps.metadata.commitUploadAppend(
        upload.id,
        hold.token,
        { size: appended.size, state: appended.state, digestState },
        this.deps.clock.now(),
      );
      if (!committed) throw unknownUpload(upload.id);
      hold.settle();
    }
    if (hash) this.running.remember(upload.id, appended.size, hash);
    else this.running.forget(upload.id);
    return { ...upload, size: appended.size, state: appended.state, digestState };
  }

  private requireDigest(digest: string | undefined): Digest {
    if (!digest) {
      throw ociError('DIGEST_INVALID', { message: 'the digest query parameter is required' });
    }
    const parsed = parseDigest(digest);
    if (!parsed) {
      throw ociError('DIGEST_INVALID', {
        message: 'digest must be sha256 or sha512 in canonical form',
        detail: { digest },
      });
    }
    return parsed;
  }

  /**
   * `PUT ?digest=`: appends the last chunk if there is one, verifies the
   * digest of everything received, and publishes the blob.
   */
  async finish(
    name: string,
    uploadId: string,
    digest: string | undefined,
    data: ByteSource | null,
    contentRange?: string,
    known?: RepositoryRecord | null,
  ): Promise<string> {
    return this.withSession(name, uploadId, known, (hold, upload) =>
      this.finishHeld(hold, upload, this.requireDigest(digest), data, contentRange),
    );
  }

  private async finishHeld(
    hold: SessionHold,
    upload: UploadRecord,
    expected: Digest,
    data: ByteSource | null,
    contentRange: string | undefined,
  ): Promise<string> {
    // A small blob that arrives whole may be an image config its manifest's push asks about.
    const leading = data && upload.size === 0 ? new LeadingBytes(LEARNED_BLOB_BYTES) : undefined;
    const current = data
      ? await this.appendHeld(hold, upload, data, contentRange, true, leading)
      : upload;
    const actual = await this.digestOf(current, expected);
    if (actual !== expected.value) {
      await this.discard(current, hold);
      throw ociError('DIGEST_INVALID', { detail: { expected: expected.value, actual } });
    }
    const store = this.deps.storage.get(current.location);
    const now = () => this.deps.clock.now();
    // Touched first: a garbage collection of these bytes finishes before the
    // lookup below, or spares them (see touchBlob).
    await this.deps.metadata.touchBlob({ digest: expected.value, size: current.size }, now());
    const known = await this.deps.metadata.findBlob(expected.value);
    const existing = known?.placements.find((p) => p.location === current.location);
    const ref = existing
      ? { digest: expected.value, key: existing.key }
      : await store.commitUpload(staged(current), expected.value);
    const published = await this.deps.metadata.publishUpload(
      current.id,
      hold.token,
      { digest: expected.value, size: current.size, location: current.location, key: ref.key },
      now(),
    );
    hold.settle();
    this.running.forget(current.id);
    if (!published) {
      // Cancelled under us: what this request published is nobody's.
      if (!existing) await store.abortUpload(current.id, current.state);
      throw unknownUpload(current.id);
    }
    if (existing) await store.abortUpload(current.id, current.state);
    // Another upload of the same bytes was recorded first; readers use its copy.
    else if (published.key !== ref.key) await store.delete(ref);
    await this.deps.replicationNudge?.poke();
    const bytes = leading?.all();
    if (bytes) this.labels.learn(expected.value, bytes);
    return expected.value;
  }

  private async digestOf(upload: UploadRecord, expected: Digest): Promise<string> {
    if (expected.algorithm === 'sha256') {
      const running = this.hashAt(upload);
      if (running) return `sha256:${running.copy().hex()}`;
    }
    const hash = createDigester(expected.algorithm);
    const store = this.deps.storage.get(upload.location);
    for await (const chunk of store.readUpload(staged(upload))) hash.update(chunk);
    return finishDigest(expected.algorithm, hash);
  }

  /** `DELETE` on an upload; whichever request holds it loses it. */
  async cancel(name: string, uploadId: string): Promise<void> {
    assertRepositoryName(name);
    assertUploadId(uploadId);
    const repository = await this.deps.metadata.findRepository(name);
    if (!repository) throw unknownUpload(uploadId);
    await this.locks.run(uploadId, async () => {
      const upload = await this.deps.metadata.findUpload(repository.id, uploadId);
      if (!upload) throw unknownUpload(uploadId);
      await this.deps.storage.get(upload.location).abortUpload(upload.id, upload.state);
      await this.deps.metadata.deleteUpload(upload.id);
      this.running.forget(upload.id);
    });
  }

  /** Ends a session this request holds: its bytes first, then its row. */
  private async discard(upload: UploadRecord, hold: SessionHold): Promise<void> {
    await this.deps.storage.get(upload.location).abortUpload(upload.id, upload.state);
    await this.deps.metadata.deleteUpload(upload.id, hold.token);
    hold.settle();
    this.running.forget(upload.id);
  }
}
