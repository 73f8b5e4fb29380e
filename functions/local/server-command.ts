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
 */
export const SERVER_NODE_FLAGS = ['--v8-pool-size=1', '--enable-source-maps'];

/** The package.json script that starts the bundle with those flags. */
export const serverStartScript = (bundle: string) =>
  `exec node ${SERVER_NODE_FLAGS.join(' ')} ${bundle}`;
