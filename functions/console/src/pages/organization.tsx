import { PageSection, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { bytes, date } from '../api/format';
import { Loading } from '../app';
import { AutoprunePolicies } from '../components/autoprune-policies';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
import { LogsTable } from '../components/logs-table';
import { PageHeader } from '../components/page-header';
import { RobotsPanel } from '../components/robots-panel';
import { Applications, DefaultPermissions } from './organization-access';
import { OrganizationQuota } from './organization-quota';
import { OrganizationSettings } from './organization-settings';
import { Teams } from './organization-teams';

/** Quay's organization screen, a tab per concern. */
export default function Organization() {
  const org = useParams().org!;
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'repositories';
  const view = useQuery({
    queryKey: ['organization', org],
    queryFn: () =>
      unwrap(api.GET('/organization/{orgname}', { params: { path: { orgname: org } } })),
  });
  const trail = [{ to: '/organization', label: 'Organizations' }];
  if (view.isPending) return <Loading />;
  if (view.isError) {
    return (
      <>
        <PageHeader title={org} trail={trail} />
        <PageSection>
          <ErrorAlert error={view.error} />
        </PageSection>
      </>
    );
  }
  const admin = view.data.is_admin;
  return (
    <>
      <PageHeader title={org} trail={trail} />
      <PageSection>
        <Tabs
          activeKey={tab}
          onSelect={(_e, key) => setSearch({ tab: String(key) })}
          aria-label="Organization"
          mountOnEnter
          unmountOnExit
        >
          <Tab eventKey="repositories" title={<TabTitleText>Repositories</TabTitleText>}>
            <OrgRepositories org={org} />
          </Tab>
          <Tab eventKey="teams" title={<TabTitleText>Teams and membership</TabTitleText>}>
            <Teams org={org} view={view.data} />
          </Tab>
          {admin ? (
            <Tab eventKey="robots" title={<TabTitleText>Robot accounts</TabTitleText>}>
              <RobotsPanel org={org} />
            </Tab>
          ) : null}
          {admin ? (
            <Tab eventKey="defaults" title={<TabTitleText>Default permissions</TabTitleText>}>
              <DefaultPermissions org={org} />
            </Tab>
          ) : null}
          {admin ? (
            <Tab eventKey="applications" title={<TabTitleText>OAuth applications</TabTitleText>}>
              <Applications org={org} />
            </Tab>
          ) : null}
          <Tab eventKey="quota" title={<TabTitleText>Quota</TabTitleText>}>
            <OrganizationQuota org={org} view={view.data} />
          </Tab>
          {admin ? (
            <Tab eventKey="autoprune" title={<TabTitleText>Auto-prune policies</TabTitleText>}>
              <AutoprunePolicies
                canEdit
                api={{
                  key: ['organization', org],
                  list: () =>
                    unwrap(
                      api.GET('/organization/{orgname}/autoprunepolicy', {
                        params: { path: { orgname: org } },
                      }),
                    ),
                  create: (body) =>
                    unwrap(
                      api.POST('/organization/{orgname}/autoprunepolicy', {
                        params: { path: { orgname: org } },
                        body,
                      }),
                    ),
                  remove: (uuid) =>
                    unwrap(
                      api.DELETE('/organization/{orgname}/autoprunepolicy/{policy_uuid}', {
                        params: { path: { orgname: org, policy_uuid: uuid } },
                      }),
                    ),
                }}
              />
            </Tab>
          ) : null}
          {admin ? (
            <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
              <LogsTable
                queryKey={['organization', org]}
                fetchPage={(next_page) =>
                  unwrap(
                    api.GET('/organization/{orgname}/logs', {
                      params: { path: { orgname: org }, query: next_page ? { next_page } : {} },
                    }),
                  )
                }
              />
            </Tab>
          ) : null}
          {admin ? (
            <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
              <OrganizationSettings org={org} view={view.data} />
            </Tab>
          ) : null}
        </Tabs>
      </PageSection>
    </>
  );
}

function OrgRepositories({ org }: { org: string }) {
  const repos = useQuery({
    queryKey: ['repositories', org, '', undefined],
    queryFn: () => unwrap(api.GET('/repository', { params: { query: { namespace: org } } })),
  });
  return (
    <>
      <ErrorAlert error={repos.error} />
      <DataTable
        label={`Repositories of ${org}`}
        empty={repos.isPending ? 'Loading…' : 'No repositories you can see'}
        rows={repos.data?.repositories ?? []}
        rowKey={(r) => r.name}
        columns={[
          { title: 'Name', cell: (r) => <Link to={`/repository/${org}/${r.name}`}>{r.name}</Link> },
          { title: 'Visibility', cell: (r) => (r.is_public ? 'public' : 'private') },
          { title: 'Last modified', cell: (r) => date(r.last_modified ?? null) },
          { title: 'Size', cell: (r) => bytes(r.quota_report?.quota_bytes) },
        ]}
      />
    </>
  );
}
