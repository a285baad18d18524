// The test servers' listening: on 127.0.0.1 only, with their open sockets
// tracked so that stopping one ends its connections too, hanging ones
// included (server.close alone waits for them).

/**
 * Makes `server` (node:http) listen on 127.0.0.1:`port` (0: a free port).
 * @returns {Promise<{port: number, sockets: Set<import('node:net').Socket>,
 *   listen: (port: number) => Promise<number>, close: () => Promise<void>}>}
 *   `listen` listens again (after `close`); `close` stops listening and
 *   destroys every open socket, and does nothing when not listening.
 */
export async function listenOnLoopback(server, port = 0) {
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const listen = (p) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server.address().port);
      });
    });
  const close = async () => {
    if (!server.listening) return;
    const closed = new Promise((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return { port: await listen(port), sockets, listen, close };
}
