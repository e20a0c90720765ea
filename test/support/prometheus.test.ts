/** The test Prometheus survives a port taken between its choice and the bind (it retries on another). */
import { expect, test } from "bun:test";
import { startPrometheus } from "./prometheus.ts";
test("a port taken between choice and bind is retried", async () => {
  // the first port freePort frees is taken at once by another listener (which answers /-/ready with 200)
  const realServe = Bun.serve;
  let grabbed: ReturnType<typeof Bun.serve> | undefined;
  (Bun as { serve: typeof Bun.serve }).serve = ((opts: Parameters<typeof Bun.serve>[0]) => {
    const s = realServe(opts);
    const port = s.port;
    const origStop = s.stop.bind(s);
    (s as { stop: (c?: boolean) => Promise<void> }).stop = async (c?: boolean) => { await origStop(c); if (!grabbed) grabbed = realServe({ port, hostname: "127.0.0.1", fetch: () => new Response("x") }); };
    return s;
  }) as typeof Bun.serve;
  const prom = await startPrometheus({ global: { scrape_interval: "1s" }, scrape_configs: [] });
  (Bun as { serve: typeof Bun.serve }).serve = realServe;
  expect(grabbed).toBeDefined();
  expect(prom.url).not.toContain(`:${grabbed!.port}`);
  await prom.stop();
  grabbed!.stop(true);
});
