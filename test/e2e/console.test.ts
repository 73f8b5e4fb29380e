import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../functions/console/build.js';
import { expectAccessible } from '../support/accessibility.js';
import { chromiumAvailable, launchBrowser, screenshot } from '../support/browser.js';
import {
  distributionAvailable,
  startDistribution,
  type DistributionRegistry,
} from '../support/distribution.js';
import { skipUnlessAvailable } from '../support/harness.js';
import { skopeo, skopeoAvailable } from '../support/registry-clients.js';
import { ADMIN, imageLayout, indexLayout } from '../support/skopeo-images.js';
import { serverApi, startServerProcess, type ServerProcess } from '../support/server-process.js';

const skip =
  skipUnlessAvailable(chromiumAvailable(), 'chromium') ||
  skipUnlessAvailable(skopeoAvailable(), 'skopeo') ||
  skipUnlessAvailable(distributionAvailable(), 'docker-registry');

/**
 * The web console in a real browser (Debian's Chromium driven by
 * playwright-core) against `npm start`'s server, with skopeo pushing and
 * CNCF distribution as a mirror's upstream. The steps build on each other,
 * as a new user's first session would. Each main screen is saved as a
 * screenshot and checked with axe-core.
 */
describe.skipIf(skip)('the web console in a browser', () => {
  let work: string;
  let server: ServerProcess;
  let upstream: DistributionRegistry;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let robotToken = '';
  const api = serverApi(
    () => server!,
    `${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`,
  );
  const url = (path: string) => `${server.url}${path}`;

  /** Every call the console made to the REST API since `since` (an index into `calls`). */
  const calls: string[] = [];

  /** A cell of the table named `table` whose whole text is `text`. */
  const cell = (table: string, text: string) =>
    page
      .locator(`table[aria-label="${table}"] td`)
      .filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });

  const check = async (name: string) => {
    await expectAccessible(page, name);
    await screenshot(page, name);
  };

  const signIn = async (p: Page, username: string, password: string) => {
    await p.goto(url('/'));
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    await ensureConsoleBuilt();
    work = await mkdtemp(join(tmpdir(), 'berth-console-e2e-'));
    upstream = await startDistribution(join(work, 'upstream'));
    server = await startServerProcess({
      ...ADMIN,
      BERTH_DATA_DIR: join(work, 'data'),
      BERTH_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      REPO_MIRROR_INTERVAL: '3600',
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/v1/') || path === '/csrf_token')
        calls.push(`${r.method()} ${path}`);
    });
  }, 180_000);
  // What the browser showed when a step failed, for the person reading the failure.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) {
      await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await upstream?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('signs in with the keyboard alone and lands on the repositories', async () => {
    await page.goto(url('/'));
    await expect.poll(() => page.getByLabel('Username').isVisible()).toBe(true);
    await check('01-sign-in');
    await page.getByLabel('Username').focus();
    await page.keyboard.type(ADMIN.BERTH_SUPERUSER);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN.BERTH_SUPERUSER_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Repositories' }).waitFor();
    expect(page.url()).toBe(url('/repository'));
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'berth-session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });
    await check('02-repositories-empty');
  });

  it('creates an organization, a team, and a robot whose token is shown once', async () => {
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.getByLabel("New organization's name").fill('acme');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { level: 1, name: 'acme' }).waitFor();

    await page.getByRole('tab', { name: 'Teams and membership' }).click();
    await page.getByLabel("New team's name").fill('ci');
    await page.getByLabel('Role', { exact: true }).selectOption('creator');
    await page.getByRole('button', { name: 'Create team' }).click();
    await cell('Teams', 'ci').waitFor();
    await check('03-organization-teams');

    await page.getByRole('tab', { name: 'Robot accounts' }).click();
    await page.getByLabel("New robot's short name").fill('builder');
    await page.getByLabel('Description').fill('pushes from CI');
    await page.getByRole('button', { name: 'Create robot account' }).click();
    const token = page.getByLabel('Log in as acme+builder with this token');
    await token.waitFor();
    robotToken = await token.inputValue();
    expect(robotToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    await check('04-robot-token-shown-once');
    await page.getByRole('button', { name: 'Done' }).click();
    await cell('Robot accounts', 'acme+builder').waitFor();
    // Shown once: nowhere on the page, nor in what the API answers, any more.
    await page.reload();
    await cell('Robot accounts', 'acme+builder').waitFor();
    expect(await page.content()).not.toContain(robotToken);
    const listed = await api('GET', '/organization/acme/robots');
    expect(JSON.stringify(listed.body)).not.toContain(robotToken);
    await check('05-organization-robots');
  });

  it('creates a repository and grants the robot write on it', async () => {
    await page.getByRole('link', { name: 'Repositories' }).click();
    await page.getByRole('button', { name: 'Create repository' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create repository' });
    await dialog.getByLabel('Namespace').selectOption('acme');
    await dialog.getByLabel('Repository name').fill('app');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'acme/app' }).waitFor();

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Grant to (user, namespace+robot, or team name)').fill('acme+builder');
    await page.getByLabel('Role', { exact: true }).selectOption('write');
    await page.getByRole('button', { name: 'Grant permission' }).click();
    await cell('Permissions', 'acme+builder').waitFor();
    await check('06-repository-settings');
    const granted = await api('GET', '/repository/acme/app/permissions/user/');
    expect(granted.body.permissions['acme+builder']).toMatchObject({
      role: 'write',
      is_robot: true,
    });
  });

  it('shows what skopeo pushed: tags with their sizes and an index with its platforms', async () => {
    const { layout, layers } = await imageLayout(join(work, 'image'), '1.0', [2048, 3000]);
    // The image's size is its compressed layers' sizes summed, as the console prints it.
    const size = layers.reduce((sum, l) => sum + l.size, 0);
    const shown = `${(size / 1024).toFixed(1)} KiB`;
    const multi = await indexLayout(join(work, 'index'));
    const robot = `acme+builder:${robotToken}`;
    for (const [from, to] of [
      [`oci:${layout.dir}:1.0`, 'acme/app:1.0'],
      [`oci:${layout.dir}:1.0`, 'acme/app:1.0-copy'],
      [`oci:${multi.layout.dir}:multi`, 'acme/app:multi'],
    ] as const) {
      await skopeo(
        'copy',
        '--all',
        '--preserve-digests',
        '--dest-creds',
        robot,
        from,
        `docker://${server.host}/${to}`,
      );
    }
    calls.length = 0;
    await page.goto(url('/repository/acme/app?tab=tags'));
    await cell('Tags', 'multi').waitFor();
    // The first page of tags: who is signed in, the repository and its tags, all three at once.
    expect([...calls].sort()).toEqual([
      'GET /api/v1/repository/acme/app',
      'GET /api/v1/repository/acme/app/tag',
      'GET /api/v1/user',
    ]);
    const row = (tag: string) =>
      page.locator('table[aria-label="Tags"] tbody tr').filter({
        has: page.locator('td[data-label="Tag"]', {
          hasText: new RegExp(`^${tag.replace('.', '\\.')}$`),
        }),
      });
    await expect.poll(() => row('1.0').locator('td[data-label="Size"]').textContent()).toBe(shown);
    expect(await row('multi').locator('td[data-label="Size"]').textContent()).toBe('index');
    expect(await row('multi').locator('td[data-label="Platforms"]').textContent()).toBe(
      'linux/amd64linux/arm64',
    );
    await check('07-repository-tags');

    await row('multi').getByRole('link').click();
    await page.getByRole('heading', { name: 'Images in this index' }).waitFor();
    await page.getByRole('link', { name: multi.platforms[1]!.digest }).click();
    await page.getByRole('heading', { name: 'Layers' }).waitFor();
    const arm64 = JSON.parse(
      await readFile(multi.layout.blobPath(multi.platforms[1]!.digest), 'utf8'),
    );
    const arm64Size = (arm64 as { layers: { size: number }[] }).layers[0]!.size;
    expect(await page.getByText(`${(arm64Size / 1024).toFixed(1)} KiB in 1 layers`).count()).toBe(
      1,
    );
    await check('08-manifest');
  });

  it('deletes a tag and restores it from the tag history', async () => {
    await page.goto(url('/repository/acme/app?tab=tags'));
    await page.getByRole('button', { name: 'Delete tag 1.0-copy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await cell('Tags', '1.0-copy').waitFor({ state: 'detached' });
    const active = async () =>
      (await api('GET', '/repository/acme/app/tag/?specificTag=1.0-copy&onlyActiveTags=true')).body
        .tags;
    expect(await active()).toEqual([]);

    await page.getByRole('tab', { name: 'Tag history' }).click();
    await page.getByRole('button', { name: /^Restore 1\.0-copy to sha256:/ }).click();
    await check('09-tag-history-restore');
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Tags', exact: true }).click();
    await cell('Tags', '1.0-copy').waitFor();
    expect(await active()).toHaveLength(1);
  });

  it('configures a mirror of CNCF distribution, starts a sync and sees it succeed', async () => {
    const { layout } = await imageLayout(join(work, 'upstream-image'), 'v1', [1500]);
    await skopeo(
      'copy',
      '--preserve-digests',
      `oci:${layout.dir}:v1`,
      `docker://${upstream.host}/library/busy:v1`,
    );
    expect((await api('PUT', '/organization/acme/robots/mirror', {})).status).toBe(201);
    expect(
      (
        await api('POST', '/repository', {
          namespace: 'acme',
          repository: 'busy',
          visibility: 'private',
        })
      ).status,
    ).toBe(201);

    await page.goto(url('/repository/acme/busy?tab=mirroring'));
    await page.getByLabel('Upstream repository (host/path)').fill(`${upstream.host}/library/busy`);
    await page.getByLabel('Tags to mirror (comma-separated, globs allowed)').fill('v*');
    await page.getByLabel('Robot that writes the mirror').fill('acme+mirror');
    await page.getByLabel("Verify the upstream's TLS certificate").uncheck();
    await page.getByRole('button', { name: 'Create mirror' }).click();
    await page.getByTestId('mirror-status').waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    // The new mirror is due at once, so the scheduler may have started the sync already:
    // then Sync now is refused as "a sync is running", and the page watches that one.
    await expect
      .poll(() => page.getByTestId('mirror-status').textContent(), { timeout: 45_000 })
      .toBe('SUCCESS');
    await check('10-repository-mirroring');
    const tags = await api('GET', '/repository/acme/busy/tag/?onlyActiveTags=true');
    expect(tags.body.tags.map((t: { name: string }) => t.name)).toEqual(['v1']);
  });

  it('shows the organization’s quota as a bar against its limits', async () => {
    await page.goto(url('/organization/acme?tab=quota'));
    await page.getByLabel('Quota (GiB)').fill('1');
    await page.getByRole('button', { name: 'Set quota' }).click();
    await page.getByRole('button', { name: 'Add limit' }).waitFor();
    await page.getByLabel('At (percent of the quota)').fill('80');
    await page.getByRole('button', { name: 'Add limit' }).click();
    const bar = page.getByTestId('quota-bar');
    await expect.poll(() => bar.textContent()).toMatch(/of 1\.0 GiB.*Warning at 80%/);
    const org = await api('GET', '/organization/acme');
    const used = org.body.quota_report.quota_bytes as number;
    expect(used).toBeGreaterThan(0);
    expect(await bar.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(
      String(Number(((used / 1024 ** 3) * 100).toFixed(20))),
    );
    await check('11-organization-quota');
  });

  it('reads the usage logs of a repository and of the organization', async () => {
    await page.goto(url('/repository/acme/app?tab=logs'));
    await cell('Usage logs', 'push_repo').first().waitFor();
    expect(await cell('Usage logs', 'revert_tag').count()).toBe(1);
    expect(await cell('Usage logs', 'delete_tag').count()).toBe(1);
    await check('12-repository-logs');
    await page.goto(url('/organization/acme?tab=logs'));
    await cell('Usage logs', 'create_robot').first().waitFor();
    await check('13-organization-logs');
  });

  it('shows every other screen accessibly: information, organization tabs, account, superuser', async () => {
    const screens: [string, string, () => Promise<unknown>][] = [
      [
        '14-repository-information',
        '/repository/acme/app?tab=information',
        async () =>
          expect(await page.getByLabel('podman pull command').inputValue()).toBe(
            `podman pull --tls-verify=false ${server.host}/acme/app:latest`,
          ),
      ],
      ['15-repositories', '/repository', () => cell('Repositories', 'acme/app').waitFor()],
      ['16-organizations', '/organization', () => cell('Organizations', 'acme').waitFor()],
      [
        '17-organization-defaults',
        '/organization/acme?tab=defaults',
        () => page.getByRole('button', { name: 'Add default permission' }).waitFor(),
      ],
      [
        '18-organization-applications',
        '/organization/acme?tab=applications',
        () => page.getByRole('button', { name: 'Register application' }).waitFor(),
      ],
      [
        '19-organization-autoprune',
        '/organization/acme?tab=autoprune',
        () => page.getByRole('button', { name: 'Add policy' }).waitFor(),
      ],
      [
        '20-account-password',
        '/account',
        () => page.getByRole('button', { name: 'Change password' }).waitFor(),
      ],
      [
        '21-account-tokens',
        '/account?tab=tokens',
        () => page.getByRole('button', { name: 'Create token' }).waitFor(),
      ],
      [
        '22-account-namespace',
        '/account?tab=namespace',
        () => page.getByRole('button', { name: 'Add policy' }).waitFor(),
      ],
      ['23-superuser-users', '/superuser', () => cell('Users', 'admin').waitFor()],
      [
        '24-superuser-organizations',
        '/superuser?tab=organizations',
        () => cell('Organizations', 'acme').waitFor(),
      ],
      [
        '25-superuser-size',
        '/superuser?tab=size',
        () => page.getByRole('button', { name: 'Count again' }).waitFor(),
      ],
    ];
    for (const [name, path, ready] of screens) {
      await page.goto(url(path));
      await ready();
      await check(name);
    }
  });

  it('grants an OAuth token only after the user approves it on the consent page', async () => {
    const app = await api('POST', '/organization/acme/applications', {
      name: 'Dashboard',
      redirect_uri: 'https://dashboard.example/callback',
    });
    const query = new URLSearchParams({
      response_type: 'token',
      client_id: app.body.client_id,
      scope: 'repo:read',
      redirect_uri: 'https://dashboard.example/callback',
      state: 'xyz',
    });
    await page.route('https://dashboard.example/**', async (route) => {
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<title>dashboard</title>ok',
      });
    });
    await page.goto(url(`/oauth/authorize?${query.toString()}`));
    await page.getByRole('heading', { name: 'Authorize application' }).waitFor();
    await page.getByText('View all visible repositories').waitFor();
    expect(page.url()).toBe(url(`/authorize?${query.toString()}`));
    await check('26-oauth-consent');
    await page.getByRole('button', { name: 'Authorize Dashboard' }).click();
    // The token travels in the fragment, which only the browser sees.
    await page.waitForURL(/^https:\/\/dashboard\.example\/callback#access_token=/);
    const token = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(token.get('state')).toBe('xyz');
    const asApp = await fetch(url('/api/v1/repository/acme/app'), {
      headers: { Authorization: `Bearer ${token.get('access_token')}` },
    });
    expect(asApp.status).toBe(200);
  });

  it('refuses a write the page makes without its CSRF token', async () => {
    await page.goto(url('/repository'));
    const status = await page.evaluate(async () => {
      const response = await fetch('/api/v1/organization/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'forged' }),
      });
      return response.status;
    });
    expect(status).toBe(403);
    expect((await api('GET', '/organization/forged')).status).toBe(404);
  });

  it('never shows another user’s private repository, in any screen', async () => {
    await page.goto(url('/superuser'));
    await page.getByLabel("New user's name").fill('bob');
    await page.getByRole('button', { name: 'Create user' }).click();
    const password = await page.getByLabel('Hand this generated password to the user').inputValue();
    await page.getByRole('button', { name: 'Done' }).click();

    const other = await browser.newContext();
    const bobPage = await other.newPage();
    await signIn(bobPage, 'bob', password);
    await bobPage.getByRole('heading', { level: 1, name: 'Repositories' }).waitFor();
    await bobPage.getByRole('heading', { name: 'No repositories' }).waitFor();
    expect(await bobPage.content()).not.toContain('acme/app');
    await bobPage.goto(url('/repository/acme/app?tab=tags'));
    // A private repository answers as one that does not exist.
    await bobPage.getByText('no repository acme/app').first().waitFor();
    expect(await bobPage.locator('table[aria-label="Tags"]').count()).toBe(0);
    await bobPage.goto(url('/organization/acme?tab=robots'));
    expect(await bobPage.getByRole('tab', { name: 'Robot accounts' }).count()).toBe(0);
    await other.close();
  });

  it('fits a narrow window, navigation behind its toggle', async () => {
    await page.setViewportSize({ width: 480, height: 900 });
    await page.goto(url('/repository/acme/app?tab=tags'));
    await cell('Tags', 'multi').waitFor();
    await check('27-narrow-tags');
    await page.getByRole('button', { name: 'Show or hide the navigation' }).click();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Account: admin' }).waitFor();
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it('signs out: the page returns to sign-in and the session no longer works', async () => {
    const [session] = (await context.cookies()).filter((c) => c.name === 'berth-session');
    await page.goto(url('/repository'));
    await page.getByRole('button', { name: 'admin' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    expect((await context.cookies()).filter((c) => c.name === 'berth-session')).toEqual([]);
    const replay = await fetch(url('/api/v1/user/'), {
      headers: { Cookie: `berth-session=${session!.value}` },
    });
    expect(replay.status).toBe(401);
  });
});
