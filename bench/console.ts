import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { consoleSize, ensureConsoleBuilt } from '../functions/console/build.js';
import { digestOf } from '../shared/oci/digest.js';
import { MediaType } from '../shared/oci/media-types.js';
import { chromiumAvailable, launchBrowser } from '../test/support/browser.js';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.js';

/**
 * `npm run bench:console`: the web console measured in Debian's Chromium.
 * A repository with BENCH_CONSOLE_TAGS tags (10,000) is filled through
 * `/v2` by 16 clients; then, five times each, a browser that is signed in
 * but has nothing cached opens the repository's Tags tab (time until the
 * first page of tags is on screen, and the API calls it made), moves to the
 * next page, and arrives at the tags from the repository list without
 * reloading the page. Embedded Postgres, or PostgreSQL at DATABASE_URL.
 */
const TAGS = Number(process.env.BENCH_CONSOLE_TAGS ?? 10_000);
const RUNS = 5;
const CLIENTS = 16;
const ADMIN = { BERTH_SUPERUSER: 'admin', BERTH_SUPERUSER_PASSWORD: 'bench-admin-password' };
const REPO = 'admin/big';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function token(server: ServerProcess): Promise<string> {
  const query = new URLSearchParams({ service: 'berth', scope: `repository:${REPO}:pull,push` });
  const credentials = `${ADMIN.BERTH_SUPERUSER}:${ADMIN.BERTH_SUPERUSER_PASSWORD}`;
  const response = await fetch(`${server.url}/v2/auth?${query.toString()}`, {
    headers: { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  });
  return ((await response.json()) as { token: string }).token;
}

/** One small image, then `TAGS` tags on it, 16 PUTs at a time. */
async function fill(server: ServerProcess): Promise<number> {
  const bearer = { Authorization: `Bearer ${await token(server)}` };
  const blob = async (content: string, type: string) => {
    const bytes = Buffer.from(content);
    const digest = digestOf(bytes);
    const response = await fetch(`${server.url}/v2/${REPO}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { ...bearer, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    if (response.status !== 201) throw new Error(`blob: ${response.status}`);
    return { mediaType: type, digest, size: bytes.byteLength };
  };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: await blob(
      '{"architecture":"amd64","os":"linux"}',
      'application/vnd.oci.image.config.v1+json',
    ),
    layers: [await blob('a layer', 'application/vnd.oci.image.layer.v1.tar+gzip')],
  });
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < TAGS; i = next++) {
        const response = await fetch(`${server.url}/v2/${REPO}/manifests/v${i}`, {
          method: 'PUT',
          headers: { ...bearer, 'Content-Type': MediaType.ociManifest },
          body: manifest,
        });
        if (response.status !== 201) throw new Error(`tag v${i}: ${response.status}`);
      }
    }),
  );
  return Date.now() - started;
}

interface Figures {
  firstPageMs: number[];
  apiCalls: number;
  nextPageMs: number[];
  fromListMs: number[];
}

async function measure(browser: Browser, server: ServerProcess): Promise<Figures> {
  const signing = await browser.newContext();
  const signIn = await signing.newPage();
  await signIn.goto(server.url);
  await signIn.getByLabel('Username').fill(ADMIN.BERTH_SUPERUSER);
  await signIn.getByLabel('Password').fill(ADMIN.BERTH_SUPERUSER_PASSWORD);
  await signIn.getByRole('button', { name: 'Sign in' }).click();
  await signIn.getByRole('heading', { level: 1, name: 'Repositories' }).waitFor();
  const session = await signing.storageState();
  await signing.close();

  const figures: Figures = { firstPageMs: [], apiCalls: 0, nextPageMs: [], fromListMs: [] };
  const rows = (page: Page) => page.locator('table[aria-label="Tags"] tbody tr');
  for (let run = 0; run < RUNS; run++) {
    // A new context: signed in, nothing cached, as a person opening a link.
    const context = await browser.newContext({ storageState: session });
    const page = await context.newPage();
    let calls = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/v1/')) calls++;
    });
    let started = Date.now();
    await page.goto(`${server.url}/repository/${REPO}?tab=tags`);
    await rows(page).nth(49).waitFor();
    figures.firstPageMs.push(Date.now() - started);
    figures.apiCalls = Math.max(figures.apiCalls, calls);

    const first = await rows(page).first().textContent();
    started = Date.now();
    await page.getByRole('button', { name: 'Next page of tags' }).click();
    await page.getByText('Page 2').waitFor();
    await page.waitForFunction(
      (before) =>
        (
          globalThis as unknown as {
            document: { querySelector(s: string): { textContent: string | null } | null };
          }
        ).document.querySelector('table[aria-label="Tags"] tbody tr')?.textContent !== before,
      first,
    );
    figures.nextPageMs.push(Date.now() - started);

    await page.getByRole('link', { name: 'Repositories' }).first().click();
    await page.getByRole('link', { name: REPO }).waitFor();
    started = Date.now();
    await page.getByRole('link', { name: REPO }).click();
    await rows(page).nth(49).waitFor();
    figures.fromListMs.push(Date.now() - started);
    await context.close();
  }
  return figures;
}

async function main() {
  if (!chromiumAvailable())
    throw new Error('bench:console needs Chromium: apt-get install chromium');
  await ensureConsoleBuilt();
  const size = consoleSize();
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-console-'));
  const server = await startServerProcess({ ...ADMIN, BERTH_DATA_DIR: join(work, 'data') });
  const browser = await launchBrowser();
  try {
    const fillMs = await fill(server);
    const f = await measure(browser, server);
    const database = process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded';
    const ms = (values: number[]) => `${median(values)} ms (max ${Math.max(...values)})`;
    console.log(
      `\nWeb console, ${TAGS} tags in one repository (${database}; filled in ${(fillMs / 1000).toFixed(1)} s)`,
    );
    console.log(`| measure | median of ${RUNS} |`);
    console.log('| --- | --- |');
    console.log(`| first page of tags on screen, cold browser | ${ms(f.firstPageMs)} |`);
    console.log(`| API calls for it | ${f.apiCalls} |`);
    console.log(`| next page of tags (server-side paging) | ${ms(f.nextPageMs)} |`);
    console.log(`| repository list → tags, no reload | ${ms(f.fromListMs)} |`);
    console.log(
      `| first load (html, js, css), gzip | ${(size.firstLoadGzip / 1024).toFixed(1)} KiB (everything ${(size.totalGzip / 1024).toFixed(1)} KiB) |`,
    );
  } finally {
    await browser.close();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
