import {
  ClipboardCopy,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Label,
  PageSection,
  Tab,
  Tabs,
  TabTitleText,
  Title,
} from '@patternfly/react-core';
import { useLocation, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { bytes } from '../api/format';
import { prefetchFor } from '../api/prefetch';
import { useRepository, useRepositoryName } from '../api/repository';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { ErrorAlert } from '../components/error-alert';
import { LogsTable } from '../components/logs-table';
import { PageHeader } from '../components/page-header';
import { Loading } from '../app';
import { ManifestView } from './manifest-view';
import { RepositoryMirror } from './repository-mirror';
import { RepositorySettings } from './repository-settings';
import { TagHistory } from './tag-history';
import { TagsTab } from './repository-tags';

/** Quay's repository screen: Information, Tags, Tag history, Usage logs, Mirroring, Settings. */
export default function Repository() {
  const { namespace, name } = useRepositoryName();
  const repo = useRepository(namespace, name);
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'tags';
  const manifest = search.get('manifest');
  const queries = useQueryClient();
  const location = useLocation();
  // Arriving from another screen: the tags are asked for with the repository, not after it.
  useEffect(() => prefetchFor(queries, location), [queries, location]);
  const trail = [{ to: '/repository', label: 'Repositories' }];

  if (repo.isPending) return <Loading />;
  if (repo.isError) {
    return (
      <>
        <PageHeader title={`${namespace}/${name}`} trail={trail} />
        <PageSection>
          <ErrorAlert error={repo.error} />
        </PageSection>
      </>
    );
  }
  const r = repo.data;
  if (manifest) {
    return (
      <ManifestView
        namespace={namespace}
        name={name}
        digest={manifest}
        trail={[
          ...trail,
          { to: `/repository/${namespace}/${name}?tab=tags`, label: `${namespace}/${name}` },
        ]}
      />
    );
  }
  return (
    <>
      <PageHeader title={`${namespace}/${name}`} trail={trail}>
        <Label color={r.is_public ? 'green' : 'grey'}>{r.is_public ? 'public' : 'private'}</Label>{' '}
        {r.state !== 'NORMAL' ? <Label color="orange">{r.state}</Label> : null}
      </PageHeader>
      <PageSection>
        <Tabs
          activeKey={tab}
          onSelect={(_e, key) => setSearch({ tab: String(key) })}
          aria-label="Repository"
          mountOnEnter
          unmountOnExit
        >
          <Tab eventKey="information" title={<TabTitleText>Information</TabTitleText>}>
            <Information
              namespace={namespace}
              name={name}
              description={r.description}
              size={r.quota_report?.quota_bytes}
            />
          </Tab>
          <Tab eventKey="tags" title={<TabTitleText>Tags</TabTitleText>}>
            <TagsTab namespace={namespace} name={name} canWrite={r.can_write} />
          </Tab>
          <Tab eventKey="history" title={<TabTitleText>Tag history</TabTitleText>}>
            <TagHistory namespace={namespace} name={name} canWrite={r.can_write} />
          </Tab>
          <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
            <LogsTable
              queryKey={['repository', namespace, name]}
              fetchPage={(next_page) =>
                unwrap(
                  api.GET('/repository/{namespace}/{repository}/logs', {
                    params: {
                      path: { namespace, repository: name },
                      query: next_page ? { next_page } : {},
                    },
                  }),
                )
              }
            />
          </Tab>
          {r.can_admin ? (
            <Tab eventKey="mirroring" title={<TabTitleText>Mirroring</TabTitleText>}>
              <RepositoryMirror namespace={namespace} name={name} state={r.state} />
            </Tab>
          ) : null}
          {r.can_admin ? (
            <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
              <RepositorySettings repository={r} />
            </Tab>
          ) : null}
        </Tabs>
      </PageSection>
    </>
  );
}

function Information({
  namespace,
  name,
  description,
  size,
}: {
  namespace: string;
  name: string;
  description: string;
  size: number | undefined;
}) {
  const host = window.location.host;
  const insecure = window.location.protocol === 'http:';
  const image = `${host}/${namespace}/${name}`;
  const tls = insecure ? ' --tls-verify=false' : '';
  const commands = [
    { client: 'docker', command: `docker pull ${image}:latest` },
    { client: 'podman', command: `podman pull${tls} ${image}:latest` },
    {
      client: 'skopeo',
      command: `skopeo copy${insecure ? ' --src-tls-verify=false' : ''} docker://${image}:latest oci:./${name.split('/').pop()}:latest`,
    },
  ];
  return (
    <div className="berth-gap">
      <DescriptionList isHorizontal>
        <DescriptionListGroup>
          <DescriptionListTerm>Description</DescriptionListTerm>
          <DescriptionListDescription>{description || '—'}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Size</DescriptionListTerm>
          <DescriptionListDescription>{bytes(size)}</DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
      <Title headingLevel="h2" className="berth-gap">
        Pull commands
      </Title>
      {commands.map((c) => (
        <div key={c.client} className="berth-gap">
          <Title headingLevel="h3" size="md">
            {c.client}
          </Title>
          <ClipboardCopy
            isReadOnly
            hoverTip="Copy"
            clickTip="Copied"
            textAriaLabel={`${c.client} pull command`}
            toggleAriaLabel={`Show the ${c.client} command`}
          >
            {c.command}
          </ClipboardCopy>
        </div>
      ))}
    </div>
  );
}
