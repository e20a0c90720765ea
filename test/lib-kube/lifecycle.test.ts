/** runUntilSignal in a real child process: SIGTERM drains and exits 0, a second signal exits at once, a bind failure is STARTUP. */
import { expect, test } from "bun:test";
import { join } from "node:path";

const CHILD = join(import.meta.dir, "fixtures", "lifecycle-child.ts");

function spawnChild(...args: string[]) {
  const child = Bun.spawn(["bun", CHILD, ...args], { stdout: "pipe", stderr: "pipe" });
  const reader = child.stdout.getReader();
  let buffered = "";
  const lines: string[] = [];
  async function waitFor(prefix: string): Promise<string> {
    for (;;) {
      const found = lines.find((l) => l.startsWith(prefix));
      if (found) return found;
      const { value, done } = await reader.read();
      if (done) throw new Error(`child ended before "${prefix}"; saw ${JSON.stringify(lines)}`);
      buffered += new TextDecoder().decode(value);
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      lines.push(...parts);
    }
  }
  return { child, lines, waitFor };
}

test("SIGTERM stops the loop, drains the server and exits 0", async () => {
  const { child, waitFor, lines } = spawnChild("serve");
  const port = (await waitFor("listening ")).split(" ")[1];
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
  child.kill("SIGTERM");
  await waitFor("exited-cleanly");
  expect(await child.exited).toBe(0);
  expect(lines).toContain("loop-stopped true");
  expect(lines.indexOf("drained")).toBeGreaterThan(lines.indexOf("loop-stopped true"));
  expect(lines.some((l) => l.includes("SIGTERM received, shutting down"))).toBe(true);
});

test("a second signal exits at once while shutdown hangs", async () => {
  const { child, waitFor } = spawnChild("hang");
  await waitFor("listening ");
  child.kill("SIGTERM");
  await waitFor("log child: SIGTERM received");
  child.kill("SIGINT");
  expect(await child.exited).toBe(130);
});

test("a server that cannot bind is a STARTUP error and a non-zero exit", async () => {
  const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  try {
    const { child, waitFor } = spawnChild("bind", String(taken.port));
    const line = await waitFor("error ");
    expect(line).toStartWith("error STARTUP child stopped:");
    expect(await child.exited).toBe(1);
  } finally {
    taken.stop(true);
  }
});

test("a shutdown that overruns the grace period exits 1 (injected process)", async () => {
  const { EventEmitter } = await import("node:events");
  const { runUntilSignal } = await import("../../lib/kube/lifecycle.ts");
  const emitter = new EventEmitter();
  const exits: number[] = [];
  let exited: () => void = () => {};
  const exitedP = new Promise<void>((r) => (exited = r));
  const proc = {
    on: (e: string, l: (s: string) => void) => emitter.on(e, l),
    off: (e: string, l: (s: string) => void) => emitter.off(e, l),
    exit: (code: number) => {
      exits.push(code);
      exited();
    },
  };
  void runUntilSignal("stuck", async ({ signal }) => {
    await new Promise<void>((r) => signal.addEventListener("abort", () => r()));
    await new Promise(() => {}); // never finishes stopping
  }, { proc, graceMs: 30 });
  await Bun.sleep(5);
  emitter.emit("SIGTERM", "SIGTERM");
  await exitedP;
  expect(exits).toEqual([1]);
});

test("a KubeDevopsError before any signal keeps its code; other failures become STARTUP; shutdown hooks still run", async () => {
  const { EventEmitter } = await import("node:events");
  const { runUntilSignal } = await import("../../lib/kube/lifecycle.ts");
  const { KubeDevopsError } = await import("../../lib/errors.ts");
  const emitter = new EventEmitter();
  const proc = { on: (e: string, l: (s: string) => void) => emitter.on(e, l), off: (e: string, l: (s: string) => void) => emitter.off(e, l), exit: () => {} };
  const ran: string[] = [];
  const config = await runUntilSignal("c", async ({ onShutdown }) => {
    onShutdown("cleanup", () => void ran.push("cleanup"));
    throw new KubeDevopsError("CONFIG", "no kubeconfig");
  }, { proc }).catch((e: unknown) => e as InstanceType<typeof KubeDevopsError>);
  expect([config?.code, config?.message]).toEqual(["CONFIG", "no kubeconfig"]);
  const other = await runUntilSignal("watch", async () => {
    throw new Error("port 8080 in use");
  }, { proc }).catch((e: unknown) => e as InstanceType<typeof KubeDevopsError>);
  expect([other?.code, other?.message]).toEqual(["STARTUP", "watch stopped: port 8080 in use"]);
  expect(ran).toEqual(["cleanup"]);
  expect(emitter.listenerCount("SIGTERM")).toBe(0);
});
