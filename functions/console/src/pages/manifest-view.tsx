import {
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Label,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { bytes } from '../api/format';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
import { PageHeader } from '../components/page-header';
import { Loading } from '../app';
import { platformName } from './repository-tags';

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface ManifestBody {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** One manifest: its config and layers, or an index's images; its labels and referrers. */
export function ManifestView({
  namespace,
  name,
  digest,
  trail,
}: {
  namespace: string;
  name: string;
  digest: string;
  trail: { to: string; label: string }[];
}) {
  const path = { namespace, repository: name, manifestref: digest };
  const manifest = useQuery({
    queryKey: ['manifest', namespace, name, digest],
    queryFn: () =>
      unwrap(
        api.GET('/repository/{namespace}/{repository}/manifest/{manifestref}', {
          params: { path },
        }),
      ),
  });
  const referrers = useQuery({
    queryKey: ['referrers', namespace, name, digest],
    queryFn: () =>
      unwrap(
        api.GET('/repository/{namespace}/{repository}/manifest/{manifestref}/referrers', {
          params: { path },
        }),
      ),
  });
  if (manifest.isPending) return <Loading />;
  const body: ManifestBody | null = manifest.data
    ? (JSON.parse(manifest.data.manifest_data) as ManifestBody)
    : null;
  const layers = body?.layers ?? [];
  return (
    <>
      <PageHeader title={`Manifest ${digest.slice(0, 19)}…`} trail={trail} />
      <PageSection>
        <ErrorAlert error={manifest.error} />
        {manifest.data && body ? (
          <>
            <DescriptionList isHorizontal>
              <DescriptionListGroup>
                <DescriptionListTerm>Digest</DescriptionListTerm>
                <DescriptionListDescription>
                  <code>{manifest.data.digest}</code>
                </DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>Media type</DescriptionListTerm>
                <DescriptionListDescription>{manifest.data.media_type}</DescriptionListDescription>
              </DescriptionListGroup>
              {body.artifactType ? (
                <DescriptionListGroup>
                  <DescriptionListTerm>Artifact type</DescriptionListTerm>
                  <DescriptionListDescription>{body.artifactType}</DescriptionListDescription>
                </DescriptionListGroup>
              ) : null}
              {body.config ? (
                <DescriptionListGroup>
                  <DescriptionListTerm>Config</DescriptionListTerm>
                  <DescriptionListDescription>
                    <code>{body.config.digest}</code> ({bytes(body.config.size)},{' '}
                    {body.config.mediaType})
                  </DescriptionListDescription>
                </DescriptionListGroup>
              ) : null}
              {body.layers ? (
                <DescriptionListGroup>
                  <DescriptionListTerm>Image size</DescriptionListTerm>
                  <DescriptionListDescription>
                    {bytes(layers.reduce((sum, l) => sum + l.size, 0))} in {layers.length} layers
                  </DescriptionListDescription>
                </DescriptionListGroup>
              ) : null}
              <DescriptionListGroup>
                <DescriptionListTerm>Labels</DescriptionListTerm>
                <DescriptionListDescription>
                  {manifest.data.labels.length === 0
                    ? '—'
                    : manifest.data.labels.map((l) => (
                        <Label key={l.id}>{`${l.key}=${l.value}`}</Label>
                      ))}
                </DescriptionListDescription>
              </DescriptionListGroup>
            </DescriptionList>
            {body.manifests ? (
              <>
                <Title headingLevel="h2" className="berth-gap">
                  Images in this index
                </Title>
                <DataTable
                  label="Images in this index"
                  empty="The index lists no images"
                  rows={body.manifests}
                  rowKey={(m) => m.digest + JSON.stringify(m.platform)}
                  columns={[
                    {
                      title: 'Platform',
                      cell: (m) =>
                        platformName({
                          os: m.platform?.os ?? null,
                          architecture: m.platform?.architecture ?? null,
                          variant: m.platform?.variant ?? null,
                        }),
                    },
                    {
                      title: 'Digest',
                      cell: (m) => (
                        <Link
                          to={`/repository/${namespace}/${name}?manifest=${encodeURIComponent(m.digest)}`}
                        >
                          <code>{m.digest}</code>
                        </Link>
                      ),
                    },
                    { title: 'Manifest size', cell: (m) => bytes(m.size) },
                  ]}
                />
              </>
            ) : (
              <>
                <Title headingLevel="h2" className="berth-gap">
                  Layers
                </Title>
                <DataTable
                  label="Layers"
                  empty="No layers"
                  rows={layers.map((l, i) => ({ ...l, index: i }))}
                  rowKey={(l) => `${l.index}-${l.digest}`}
                  columns={[
                    { title: '#', cell: (l) => String(l.index + 1) },
                    { title: 'Digest', cell: (l) => <code>{l.digest}</code> },
                    { title: 'Size', cell: (l) => bytes(l.size) },
                    { title: 'Media type', cell: (l) => l.mediaType ?? '' },
                  ]}
                />
              </>
            )}
            <Title headingLevel="h2" className="berth-gap">
              Referrers (signatures, SBOMs, attestations)
            </Title>
            <ErrorAlert error={referrers.error} />
            <DataTable
              label="Referrers"
              empty="Nothing refers to this manifest"
              rows={referrers.data?.referrers ?? []}
              rowKey={(r) => r.digest}
              columns={[
                { title: 'Artifact type', cell: (r) => r.artifact_type ?? r.media_type },
                {
                  title: 'Digest',
                  cell: (r) => (
                    <Link
                      to={`/repository/${namespace}/${name}?manifest=${encodeURIComponent(r.digest)}`}
                    >
                      <code>{r.digest}</code>
                    </Link>
                  ),
                },
                { title: 'Size', cell: (r) => bytes(r.size) },
                {
                  title: 'Annotations',
                  cell: (r) =>
                    Object.entries(r.annotations)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(', '),
                },
              ]}
            />
          </>
        ) : null}
      </PageSection>
    </>
  );
}
