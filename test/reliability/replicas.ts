/**
 * @module
 * Starts replicas of a long-running component (the compiled binary) against an
 * emulator and reads their leader gauge — for the reliability suite.
 */
import type { Subprocess } from "bun";
import { ensureBinary } from "../support/binary.ts";

export interface Replica {
  identity: string;
  proc: Subprocess<"ignore", "ignore", "pipe">;
  url: string;
  /** Everything the replica logged so far (JSON lines). */
  log: () => string;
}

export interface ComponentSpec {
  command: string[];
  /** The JSON log event that carries the metrics URL, and its field. */
  readyEvent: string;
  urlField: string;
}

export const LEASE_FLAGS = ["--lease-namespace", "default", "--lease-duration", "2s", "--renew-deadline", "1500ms", "--retry-period", "300ms"];

/**
 * A slower lease: its release on shutdown is bounded by twice the retry period (3 s), so a test
 * that stalls the release has a window no loaded machine closes before its next signal arrives.
 */
export const SLOW_LEASE_FLAGS = ["--lease-namespace", "default", "--lease-duration", "5s", "--renew-deadline", "4s", "--retry-period", "1500ms"];

/** Starts one replica; resolves once it serves metrics. */
export async function startReplica(spec: ComponentSpec, kubeconfig: string, identity: string, leaseFlags: readonly string[] = LEASE_FLAGS): Promise<Replica> {
  const proc = Bun.spawn([ensureBinary(), ...spec.command, "--kubeconfig", kubeconfig, "--log-format", "json", "--metrics-addr", "127.0.0.1:0", "--identity", identity, ...leaseFlags], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
  });
  const reader = proc.stderr.getReader();
  let text = "";
  let url = "";
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${identity} exited early: ${text.slice(-2000)}`);
    text += new TextDecoder().decode(value);
    const line = text.split("\n").find((l) => l.includes(`"${spec.readyEvent}"`));
    if (line) url = JSON.parse(line)[spec.urlField] as string;
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += new TextDecoder().decode(value);
    }
  })();
  return { identity, proc, url, log: () => text };
}

/** 1 when the replica reports itself leader, 0 when not, undefined when it does not answer. */
export async function leaderGauge(replica: Replica): Promise<number | undefined> {
  try {
    const body = await (await fetch(`${replica.url}/metrics`, { signal: AbortSignal.timeout(500) })).text();
    const match = /^kube_devops_leader_status\{[^}]*\} (\d+)/m.exec(body);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `probe` until it returns a value, or throws naming `what`. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
