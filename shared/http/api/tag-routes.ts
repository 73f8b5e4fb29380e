import { createRoute, z } from '@hono/zod-openapi';
import { accessError } from '../../errors/access-error.js';
import { MediaType } from '../../oci/media-types.js';
import type { LabelRecord, TagEntry } from '../../ports/metadata-store.js';
import type { ApiApp, ApiServices } from './api-env.js';
import { ERRORS, json, jsonBody, noContent, repositoryName } from './route-helpers.js';
import { RepositoryParams } from './schemas.js';
import { quayDate } from './views.js';

const TagParams = RepositoryParams.extend({
  tag: z.string().openapi({ param: { name: 'tag', in: 'path' } }),
});
const ManifestParams = RepositoryParams.extend({
  manifestref: z
    .string()
    .openapi({ param: { name: 'manifestref', in: 'path' }, description: 'a digest' }),
});
const LabelParams = ManifestParams.extend({
  labelid: z.string().openapi({ param: { name: 'labelid', in: 'path' } }),
});

const TagView = z
  .object({
    name: z.string(),
    reversion: z.boolean(),
    start_ts: z.number().int(),
    end_ts: z.number().int().optional(),
    manifest_digest: z.string(),
    is_manifest_list: z.boolean(),
    size: z.number().int().nullable().openapi({
      description:
        "The image's size: its layers' compressed sizes summed, what a pull downloads besides the config (Quay's layers_compressed_size); null for a multi-architecture index, whose platform images each have their own",
    }),
    last_modified: z.string(),
    expiration: z.string().optional(),
    immutable: z
      .boolean()
      .openapi({ description: 'no push, move, deletion, prune or expiry changes it' }),
    labels: z
      .array(z.object({ key: z.string(), value: z.string() }))
      .optional()
      .openapi({ description: "Berth: the manifest's labels (in the tag list)" }),
    platforms: z
      .array(
        z.object({
          digest: z.string(),
          size: z.number().int(),
          os: z.string().nullable(),
          architecture: z.string().nullable(),
          variant: z.string().nullable(),
        }),
      )
      .optional()
      .openapi({
        description: 'Berth: for a multi-architecture index (in the tag list), the images it holds',
      }),
  })
  .openapi('Tag');

const LabelView = z
  .object({
    id: z.string(),
    key: z.string(),
    value: z.string(),
    source_type: z.string(),
    media_type: z.string(),
  })
  .openapi('Label');

const LIST_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);

function tagView(entry: TagEntry) {
  return {
    name: entry.name,
    reversion: false,
    start_ts: Math.floor(entry.startMs / 1000),
    ...(entry.endMs === null
      ? {}
      : { end_ts: Math.floor(entry.endMs / 1000), expiration: quayDate(entry.endMs) }),
    manifest_digest: entry.manifestDigest,
    is_manifest_list: LIST_TYPES.has(entry.mediaType),
    size: entry.imageSize,
    last_modified: quayDate(entry.startMs),
    immutable: entry.immutable,
  };
}

const labelView = (l: LabelRecord) => ({
  id: l.id,
  key: l.key,
  value: l.value,
  source_type: l.sourceType,
  media_type: l.mediaType,
});

export function registerTagRoutes(app: ApiApp, services: ApiServices): void {
  const { repositories, registry } = services;
  const audit = services.access.audit;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}/tag',
      tags: ['tag'],
      summary: 'Tags, newest first, with their history unless onlyActiveTags',
      request: {
        params: RepositoryParams,
        query: z.object({
          onlyActiveTags: z.enum(['true', 'false']).optional(),
          specificTag: z.string().optional(),
          filter_tag_name: z
            .string()
            .regex(/^(like|eq):.*$/)
            .optional()
            .openapi({ description: "Quay's `like:<part of a name>` or `eq:<name>`" }),
          page: z.coerce.number().int().min(1).default(1),
          limit: z.coerce.number().int().min(1).max(100).default(50),
        }),
      },
      responses: {
        200: json(
          z.object({ tags: z.array(TagView), page: z.number().int(), has_additional: z.boolean() }),
          'tags',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const name = repositoryName(c);
      await repositories.view(c.get('principal'), name);
      const q = c.req.valid('query');
      const [op, ...rest] = q.filter_tag_name?.split(':') ?? [];
      const filtered = rest.join(':');
      const { entries, hasMore } = await registry.tags.list(name, {
        onlyActive: q.onlyActiveTags === 'true',
        specificTag: op === 'eq' ? filtered : q.specificTag,
        nameContains: op === 'like' && filtered !== '' ? filtered : undefined,
        page: q.page,
        limit: q.limit,
      });
      const { labels, platforms } = await registry.tags.describe(name, entries);
      const tags = entries.map((e) => ({
        ...tagView(e),
        labels: (labels.get(e.manifestDigest) ?? []).map((l) => ({ key: l.key, value: l.value })),
        ...(platforms.has(e.manifestDigest) ? { platforms: platforms.get(e.manifestDigest) } : {}),
      }));
      return c.json({ tags, page: q.page, has_additional: hasMore }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/repository/{namespace}/{repository}/tag/{tag}',
      tags: ['tag'],
      summary:
        'Create or move a tag to a manifest, and/or set when it expires (unix seconds; null clears)',
      request: {
        params: TagParams,
        body: jsonBody(
          z
            .strictObject({
              manifest_digest: z.string().optional(),
              expiration: z.number().int().positive().nullable().optional(),
              immutable: z.boolean().optional().openapi({
                description:
                  'true makes the tag immutable (write permission); false makes it mutable again (admin permission)',
              }),
            })
            .refine(
              (b) =>
                b.manifest_digest !== undefined ||
                b.expiration !== undefined ||
                b.immutable !== undefined,
              { message: 'give manifest_digest, expiration, immutable, or several' },
            ),
        ),
      },
      responses: { 201: json(z.literal('Updated'), 'done'), ...ERRORS },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      const { repository } = await repositories.requireContentWrite(c.get('principal'), name);
      const body = c.req.valid('json');
      // Cleared before a move or expiry in the same request, set after them.
      if (body.immutable === false) {
        await services.immutability.setTagImmutable(c.get('principal'), name, params.tag, false);
      }
      if (body.manifest_digest !== undefined) {
        const result = await registry.tags.move(name, params.tag, body.manifest_digest);
        if (result !== 'unchanged') {
          await audit.record(
            result === 'created' ? 'create_tag' : 'move_tag',
            c.get('principal'),
            { repository },
            {
              tag: params.tag,
              manifest_digest: body.manifest_digest,
            },
          );
        }
      }
      if (body.expiration !== undefined) {
        const expiresAtMs = body.expiration === null ? null : body.expiration * 1000;
        await registry.tags.expire(name, params.tag, expiresAtMs);
        await audit.record(
          'change_tag_expiration',
          c.get('principal'),
          { repository },
          {
            tag: params.tag,
            expiration_date: expiresAtMs === null ? null : quayDate(expiresAtMs),
          },
        );
      }
      if (body.immutable === true) {
        await services.immutability.setTagImmutable(c.get('principal'), name, params.tag, true);
      }
      return c.json('Updated' as const, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/repository/{namespace}/{repository}/tag/{tag}',
      tags: ['tag'],
      summary: 'Delete a tag; it stays restorable within the time-machine window',
      request: { params: TagParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      const { repository } = await repositories.requireContentWrite(c.get('principal'), name);
      await registry.tags.delete(name, params.tag);
      await audit.record('delete_tag', c.get('principal'), { repository }, { tag: params.tag });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/repository/{namespace}/{repository}/tag/{tag}/restore',
      tags: ['tag'],
      summary: 'Point a tag back at a manifest it pointed at within the time-machine window',
      request: {
        params: TagParams,
        body: jsonBody(z.strictObject({ manifest_digest: z.string() })),
      },
      responses: { 200: json(z.object({}), 'restored'), ...ERRORS },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      const { repository } = await repositories.requireContentWrite(c.get('principal'), name);
      const { manifest_digest } = c.req.valid('json');
      await registry.tags.restore(name, params.tag, manifest_digest);
      await audit.record(
        'revert_tag',
        c.get('principal'),
        { repository },
        { tag: params.tag, manifest_digest },
      );
      return c.json({}, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}/manifest/{manifestref}',
      tags: ['manifest'],
      summary: 'A manifest by digest, with its bytes',
      request: { params: ManifestParams },
      responses: {
        200: json(
          z
            .object({
              digest: z.string(),
              is_manifest_list: z.boolean(),
              manifest_data: z.string(),
              media_type: z.string(),
              size: z.number().int(),
              labels: z.array(LabelView),
            })
            .openapi('Manifest'),
          'the manifest',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      await repositories.view(c.get('principal'), name);
      const { manifest, content, labels } = await registry.tags.manifest(name, params.manifestref);
      return c.json(
        {
          digest: manifest.digest,
          is_manifest_list: LIST_TYPES.has(manifest.mediaType),
          manifest_data: Buffer.from(content).toString('utf8'),
          media_type: manifest.mediaType,
          size: manifest.size,
          labels: labels.map(labelView),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}/manifest/{manifestref}/referrers',
      tags: ['manifest'],
      summary:
        'Berth: manifests whose subject is this one (signatures, SBOMs, attestations), as the OCI referrers API lists them',
      request: { params: ManifestParams },
      responses: {
        200: json(
          z.object({
            referrers: z.array(
              z.object({
                digest: z.string(),
                media_type: z.string(),
                artifact_type: z.string().nullable(),
                size: z.number().int(),
                annotations: z.record(z.string(), z.string()),
              }),
            ),
          }),
          'referrers',
        ),
        ...ERRORS,
      },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      await repositories.view(c.get('principal'), name);
      const found = await registry.listings.referrers(name, params.manifestref);
      return c.json(
        {
          referrers: found.map((d) => ({
            digest: d.digest,
            media_type: d.mediaType,
            artifact_type: d.artifactType ?? null,
            size: d.size,
            annotations: d.annotations ?? {},
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/repository/{namespace}/{repository}/manifest/{manifestref}/labels',
      tags: ['manifest'],
      summary: "A manifest's labels, optionally only those whose key starts with filter",
      request: { params: ManifestParams, query: z.object({ filter: z.string().optional() }) },
      responses: { 200: json(z.object({ labels: z.array(LabelView) }), 'labels'), ...ERRORS },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      await repositories.view(c.get('principal'), name);
      const { labels } = await registry.tags.manifest(name, params.manifestref);
      const filter = c.req.valid('query').filter;
      const chosen = filter ? labels.filter((l) => l.key.startsWith(filter)) : labels;
      return c.json({ labels: chosen.map(labelView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/repository/{namespace}/{repository}/manifest/{manifestref}/labels',
      tags: ['manifest'],
      summary: 'Add a label to a manifest',
      request: {
        params: ManifestParams,
        body: jsonBody(
          z.strictObject({
            key: z
              .string()
              .min(1)
              .max(255)
              .regex(/^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/i),
            value: z.string().max(4096),
            media_type: z.enum(['text/plain', 'application/json']).default('text/plain'),
          }),
        ),
      },
      responses: { 201: json(z.object({ label: LabelView }), 'the label'), ...ERRORS },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      const { repository } = await repositories.requireContentWrite(c.get('principal'), name);
      const { key, value, media_type } = c.req.valid('json');
      if (media_type === 'application/json') {
        try {
          JSON.parse(value);
        } catch {
          throw accessError(
            'invalid_request',
            'the value of an application/json label must be JSON',
          );
        }
      }
      const label = await registry.tags.addLabel(name, params.manifestref, {
        key,
        value,
        mediaType: media_type,
      });
      await audit.record(
        'manifest_label_add',
        c.get('principal'),
        { repository },
        {
          manifest_digest: params.manifestref,
          label_id: label.id,
          key,
          value,
        },
      );
      return c.json({ label: labelView(label) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/repository/{namespace}/{repository}/manifest/{manifestref}/labels/{labelid}',
      tags: ['manifest'],
      summary: 'Remove a label from a manifest',
      request: { params: LabelParams },
      responses: { 204: noContent, ...ERRORS },
    }),
    async (c) => {
      const params = c.req.valid('param');
      const name = repositoryName(c);
      const { repository } = await repositories.requireContentWrite(c.get('principal'), name);
      const label = await registry.tags.deleteLabel(name, params.manifestref, params.labelid);
      await audit.record(
        'manifest_label_delete',
        c.get('principal'),
        { repository },
        {
          manifest_digest: params.manifestref,
          label_id: label.id,
          key: label.key,
        },
      );
      return c.body(null, 204);
    },
  );
}
