/**
 * A request body that sends `head`, then waits for `release()` before the
 * rest: a client part-way through an upload, for tests of what happens
 * meanwhile.
 */
export function heldBody(head: Uint8Array, rest: Uint8Array) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(head);
      await released;
      controller.enqueue(rest);
      controller.close();
    },
  });
  return { body, release };
}
