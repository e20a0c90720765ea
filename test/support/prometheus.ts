/**
 * @module
 * A real Prometheus for end-to-end tests (the Debian package's binary, which .ci/run installs):
 * started on an ephemeral loopback port with a given config and rule file, and queried through
 * its HTTP API (instant queries, label values, rules).
 */
import type { Subprocess } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toYamlDocument } from "../../gen/to-yaml.ts";

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RuleState {
  name: string;
  type: "alerting" | "recording";
  health: string;
  lastError?: string;
  state?: string;
}

export interface Prometheus {
  url: string;
  dir: string;
  proc: Subprocess;
  /** An instant query; rejects with Prometheus's error text when the expression is invalid. */
  query(expr: string): Promise<Sample[]>;
  /** `label_values(match, label)` as Grafana's Prometheus datasource asks it. */
  labelValues(label: string, match: string): Promise<string[]>;
  /** Every rule of every loaded group with its evaluation health. */
  rules(): Promise<RuleState[]>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (Prometheus takes no port 0). */
export async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port ?? 0;
  await server.stop(true);
  return port;
}

/** The Prometheus binary, or a failure that says how to install it. */
export function prometheusBinary(): string {
  const binary = Bun.which("prometheus");
  if (!binary) throw new Error("prometheus is missing: install the Debian package `prometheus` (.ci/run does this)");
  return binary;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; data?: T; error?: string };
  if (body.status !== "success" || body.data === undefined) throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

/**
 * Starts Prometheus with `config` (scrape_configs and global; `rule_files` is added when
 * `rules` is given) and waits until its API answers.
 */
export async function startPrometheus(config: Record<string, unknown>, rules?: { groups: unknown[] }): Promise<Prometheus> {
  // the port is free when chosen, but another listener may take it before Prometheus binds it
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(config, rules);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTakenError)) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(config: Record<string, unknown>, rules?: { groups: unknown[] }): Promise<Prometheus> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), "kd-prom-"));
  const full = { ...config };
  if (rules) {
    writeFileSync(join(dir, "rules.yaml"), toYamlDocument(rules));
    full.rule_files = [join(dir, "rules.yaml")];
  }
  writeFileSync(join(dir, "prometheus.yml"), toYamlDocument(full));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = Bun.spawn([binary, `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdout: "ignore", stderr: "pipe" });
  let log = "";
  void (async () => {
    for await (const chunk of proc.stderr) log += new TextDecoder().decode(chunk);
  })();
  const prom: Prometheus = {
    url,
    dir,
    proc,
    query: async (expr) => (await api<{ result: Sample[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    labelValues: (label, match) => api<string[]>(`${url}/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`),
    rules: async () => (await api<{ groups: { rules: RuleState[] }[] }>(`${url}/api/v1/rules`)).groups.flatMap((g) => g.rules),
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    // whoever answers must be this Prometheus, not another listener that took the port first
    const ready = await fetch(`${url}/-/ready`).then(async (r) => r.ok && (await r.text()).includes("Prometheus"), () => false);
    if (ready && proc.exitCode === null) return prom;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      await proc.exited;
      if (log.includes("address already in use")) throw new PortTakenError(`port ${port} was taken before Prometheus bound it`);
      throw new Error(`Prometheus did not start: ${log.slice(-2000)}`);
    }
    await Bun.sleep(100);
  }
}
