import { TextField, submitting } from '../components/form-fields';
import {
  ActionGroup,
  Button,
  Form,
  Label,
  LabelGroup,
  Modal,
  ModalBody,
  ModalHeader,
  SearchInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { tagsQuery } from '../api/repository';
import { useDebounced } from '../api/debounce';
import { bytes, date, shortDigest } from '../api/format';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';

type Tag = Schemas['Tag'];

export function platformName(p: {
  os: string | null;
  architecture: string | null;
  variant: string | null;
}) {
  return [p.os ?? '?', p.architecture ?? '?', p.variant].filter(Boolean).join('/');
}

/** Live tags, a server-side page at a time, with what each image is and what can be done to it. */
export function TagsTab({
  namespace,
  name,
  canWrite,
}: {
  namespace: string;
  name: string;
  canWrite: boolean;
}) {
  const queries = useQueryClient();
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<{ tag: string; digest: string } | null>(null);
  const [expiring, setExpiring] = useState<Tag | null>(null);
  const settled = useDebounced(filter);
  const path = { namespace, repository: name };
  const tags = useQuery({
    ...tagsQuery(namespace, name, settled, page),
    placeholderData: keepPreviousData,
  });
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ['tags', namespace, name] }),
      queries.invalidateQueries({ queryKey: ['history', namespace, name] }),
    ]);

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Filter tags by name"
              placeholder="Filter by tag name"
              value={filter}
              onChange={(_e, v) => {
                setFilter(v);
                setPage(1);
              }}
              onClear={() => setFilter('')}
            />
          </ToolbarItem>
          <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
            <Button
              variant="secondary"
              isDisabled={page === 1}
              onClick={() => setPage(page - 1)}
              aria-label="Previous page of tags"
            >
              Previous
            </Button>{' '}
            <span aria-live="polite">{`Page ${page}`}</span>{' '}
            <Button
              variant="secondary"
              isDisabled={!tags.data?.has_additional}
              onClick={() => setPage(page + 1)}
              aria-label="Next page of tags"
            >
              Next
            </Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <ErrorAlert error={tags.error} />
      <DataTable
        label="Tags"
        empty={tags.isPending ? 'Loading…' : settled ? 'No tag matches' : 'No tags yet'}
        rows={tags.data?.tags ?? []}
        rowKey={(t) => t.name}
        columns={[
          {
            title: 'Tag',
            cell: (t) => (
              <>
                {t.name}
                {t.immutable ? (
                  <>
                    {' '}
                    <Label color="purple">immutable</Label>
                  </>
                ) : null}
              </>
            ),
          },
          {
            title: 'Digest',
            cell: (t) => (
              <Link
                to={`/repository/${namespace}/${name}?manifest=${encodeURIComponent(t.manifest_digest)}`}
              >
                <code>{shortDigest(t.manifest_digest)}</code>
              </Link>
            ),
          },
          { title: 'Size', cell: (t) => (t.is_manifest_list ? 'index' : bytes(t.size)) },
          { title: 'Last modified', cell: (t) => date(t.last_modified) },
          { title: 'Expires', cell: (t) => date(t.expiration ?? null) },
          {
            title: 'Platforms',
            cell: (t) =>
              t.platforms ? (
                <LabelGroup aria-label={`Platforms of ${t.name}`} numLabels={4}>
                  {t.platforms.map((p) => (
                    <Label key={p.digest + platformName(p)} color="blue">
                      {platformName(p)}
                    </Label>
                  ))}
                </LabelGroup>
              ) : (
                ''
              ),
          },
          {
            title: 'Labels',
            cell: (t) =>
              t.labels && t.labels.length > 0 ? (
                <LabelGroup aria-label={`Labels of ${t.name}`} numLabels={3}>
                  {t.labels.map((l) => (
                    <Label key={l.key}>{`${l.key}=${l.value}`}</Label>
                  ))}
                </LabelGroup>
              ) : (
                ''
              ),
          },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (t) =>
              canWrite ? (
                <>
                  <Button
                    variant="link"
                    aria-label={`Add tag to the image of ${t.name}`}
                    onClick={() => setEditing({ tag: '', digest: t.manifest_digest })}
                  >
                    Add tag
                  </Button>
                  <Button
                    variant="link"
                    aria-label={`Expiration of ${t.name}`}
                    onClick={() => setExpiring(t)}
                  >
                    Expiration
                  </Button>
                  <ConfirmButton
                    label="Delete"
                    ariaLabel={`Delete tag ${t.name}`}
                    title={`Delete tag ${t.name}?`}
                    body="It can be restored from the tag history until the namespace's time-machine window passes."
                    onConfirm={async () => {
                      await unwrap(
                        api.DELETE('/repository/{namespace}/{repository}/tag/{tag}', {
                          params: { path: { ...path, tag: t.name } },
                        }),
                      );
                      await refresh();
                    }}
                  />
                </>
              ) : null,
          },
        ]}
      />
      <TagForm
        key={editing ? `${editing.digest}` : 'closed'}
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={refresh}
        namespace={namespace}
        name={name}
      />
      <ExpirationForm
        key={expiring?.name ?? 'closed'}
        tag={expiring}
        onClose={() => setExpiring(null)}
        onSaved={refresh}
        namespace={namespace}
        name={name}
      />
    </>
  );
}

/** Create a tag, or move one, to point at a manifest (`PUT …/tag/{tag}`). */
function TagForm({
  target,
  onClose,
  onSaved,
  namespace,
  name,
}: {
  target: { tag: string; digest: string } | null;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
  namespace: string;
  name: string;
}) {
  const titleId = useId();
  const [tag, setTag] = useState(target?.tag ?? '');
  const [digest, setDigest] = useState(target?.digest ?? '');
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT('/repository/{namespace}/{repository}/tag/{tag}', {
          params: { path: { namespace, repository: name, tag } },
          body: { manifest_digest: digest },
        }),
      ),
    onSuccess: async () => {
      await onSaved();
      onClose();
    },
  });
  return (
    <Modal isOpen={target !== null} onClose={onClose} variant="small" aria-labelledby={titleId}>
      <ModalHeader title="Add or move a tag" labelId={titleId} />
      <ModalBody>
        <Form onSubmit={submitting(() => save.mutate())}>
          <TextField id="tag-name" label="Tag" required value={tag} onChange={setTag} />
          <TextField
            id="tag-digest"
            label="Manifest digest"
            required
            value={digest}
            onChange={setDigest}
          />
          <p>
            An existing tag of this name moves to the manifest; its old target stays in the history.
          </p>
          <ErrorAlert error={save.error} />
          <ActionGroup>
            <Button type="submit" isLoading={save.isPending} isDisabled={!tag || !digest}>
              Save tag
            </Button>
            <Button variant="link" onClick={onClose}>
              Cancel
            </Button>
          </ActionGroup>
        </Form>
      </ModalBody>
    </Modal>
  );
}

const toLocalInput = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function ExpirationForm({
  tag,
  onClose,
  onSaved,
  namespace,
  name,
}: {
  tag: Tag | null;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
  namespace: string;
  name: string;
}) {
  const titleId = useId();
  const [when, setWhen] = useState(toLocalInput(tag?.expiration));
  const save = useMutation({
    mutationFn: (expiration: number | null) =>
      unwrap(
        api.PUT('/repository/{namespace}/{repository}/tag/{tag}', {
          params: { path: { namespace, repository: name, tag: tag!.name } },
          body: { expiration },
        }),
      ),
    onSuccess: async () => {
      await onSaved();
      onClose();
    },
  });
  return (
    <Modal isOpen={tag !== null} onClose={onClose} variant="small" aria-labelledby={titleId}>
      <ModalHeader title={`Expiration of ${tag?.name ?? ''}`} labelId={titleId} />
      <ModalBody>
        <Form onSubmit={submitting(() => save.mutate(Math.floor(new Date(when).getTime() / 1000)))}>
          <TextField
            id="tag-expiration"
            label="Expires at (your local time)"
            type="datetime-local"
            value={when}
            onChange={setWhen}
          />
          <ErrorAlert error={save.error} />
          <ActionGroup>
            <Button type="submit" isLoading={save.isPending} isDisabled={!when}>
              Set expiration
            </Button>
            {tag?.expiration ? (
              <Button variant="secondary" onClick={() => save.mutate(null)}>
                Never expire
              </Button>
            ) : null}
            <Button variant="link" onClick={onClose}>
              Cancel
            </Button>
          </ActionGroup>
        </Form>
      </ModalBody>
    </Modal>
  );
}
