/**
 * The flags every start of the local server gives Node: `npm start`,
 * `npm run start:prod`, the tests and the bench. package.json cannot import
 * them, so a test holds its scripts to this list.
 *
 * One V8 platform thread instead of Node's four: V8 compiles the embedded
 * database's hot WebAssembly with TurboFan on those threads, and each thread
 * that compiles keeps a glibc malloc arena of about 30 MiB that it never
 * gives back. With one thread the server holds about 60 MiB less after start
 * (283 → 220 MiB, 344 → 305 MiB after small pushes and GETs), and small
 * pushes and manifest GETs run as fast (issue 19's A/B, 3 rounds).
 *
 * A young generation of at most 4 MiB per semi-space instead of 16: a
 * request's garbage dies young either way, and the larger one, grown once
 * during start-up, stays resident. About 20 MiB less after start (219 → 198
 * MiB) and 27 MiB less after the same workload (289 → 262), at the same
 * throughput within the rounds' spread (A/B, 4 rounds).
 */
export const SERVER_NODE_FLAGS = [
  '--v8-pool-size=1',
  '--max-semi-space-size=4',
  '--enable-source-maps',
];

/** The package.json script that starts the bundle with those flags. */
export const serverStartScript = (bundle: string) =>
  `exec node ${SERVER_NODE_FLAGS.join(' ')} ${bundle}`;
