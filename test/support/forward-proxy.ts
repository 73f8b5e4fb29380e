import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

/**
 * A forward proxy, as a company egress proxy would be: CONNECT tunnels and
 * absolute-form requests. Records the hosts it was asked to reach.
 */
export async function startForwardProxy(): Promise<{
  url: string;
  hosts: string[];
  close(): Promise<void>;
}> {
  const hosts: string[] = [];
  const server: Server = createServer((request, response) => {
    const target = new URL(request.url!);
    hosts.push(target.host);
    const upstream = httpRequest(
      target,
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connect', (request, socket, head) => {
    hosts.push(request.url!);
    const [host, port] = request.url!.split(':');
    const tunnel = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      tunnel.write(head);
      tunnel.pipe(socket);
      socket.pipe(tunnel);
    });
    tunnel.on('error', () => socket.destroy());
    socket.on('error', () => tunnel.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hosts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
