import net from 'node:net';

/** How a new TCP connection to `port` on 127.0.0.1 goes: 'connected', or the error's code (e.g. ECONNREFUSED). */
export function tcpConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
