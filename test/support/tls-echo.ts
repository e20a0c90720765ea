/** Local HTTPS servers for transport tests, each answering with the same handler. */
export class TlsEchoServers {
  private readonly servers: ReturnType<typeof Bun.serve>[] = [];

  constructor(private readonly respond: (request: Request) => Response) {}

  /** Starts one on a free port of 127.0.0.1 with `tls`; returns its URL. */
  start(tls: Parameters<typeof Bun.serve>[0]["tls"]): string {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls, fetch: this.respond });
    this.servers.push(server);
    return `https://127.0.0.1:${server.port}`;
  }

  stopAll(): void {
    for (const server of this.servers) server.stop(true);
  }
}
