/**
 * How every start of the local server runs Node: `npm start`,
 * `npm run start:prod`, the tests and the bench. package.json cannot import
 * this, so a test holds its scripts to it.
 *
 * One V8 platform thread instead of Node's four: V8 compiles the embedded
 * database's hot WebAssembly with TurboFan on those threads, and each thread
 * that compiles keeps a glibc malloc arena of about 30 MiB that it never
 * gives back. With one thread the server holds about 60 MiB less after start
 * (283 → 220 MiB, 344 → 305 MiB after small pushes and GETs), and small
 * pushes and manifest GETs run as fast (issue 19's A/B, 3 rounds).
 */
export const SERVER_NODE_FLAGS = ['--v8-pool-size=1', '--enable-source-maps'];

/**
 * glibc's malloc, told to give memory back. By default it raises its mmap
 * threshold each time a large block is freed (Node frees buffers all the
 * time) until blocks of up to 32 MiB come from the heap, which it then trims
 * only past 64 MiB of free space at its top: the server's main arena held
 * 38 MiB right after start, mostly free. Fixing the thresholds (blocks from
 * 32 KiB mapped on their own, the heap trimmed past 128 KiB free) keeps
 * small pushes, GETs and large transfers as fast in an A/B of 3 rounds, and
 * the server holds 186 → 147 MiB after start and 309 → 216 MiB after small
 * pushes and GETs. Other C libraries ignore the variable.
 */
export const SERVER_ENV = {
  GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=32768',
};

/** The package.json script that starts the bundle with that environment and those flags. */
export const serverStartScript = (bundle: string) =>
  `exec env ${Object.entries(SERVER_ENV)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')} node ${SERVER_NODE_FLAGS.join(' ')} ${bundle}`;
