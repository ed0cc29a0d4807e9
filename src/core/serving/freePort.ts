import { createServer } from 'node:net';

/** Whether `port` can be bound on `host` now (it is closed again at once). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The first port from `preferred` on that can be bound on `host` (trying `attempts` ports), so a second server gets
 * 8766 when 8765 is taken; undefined when none is free. Port 0 is returned as it is (the server picks one).
 */
export async function firstFreePort(host: string, preferred: number, attempts = 20): Promise<number | undefined> {
  if (preferred === 0) return 0;
  for (let port = preferred; port < preferred + attempts && port <= 65_535; port++) {
    if (await isPortFree(host, port)) return port;
  }
  return undefined;
}
