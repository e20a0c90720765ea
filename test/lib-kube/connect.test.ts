/** connect() from global flags, and the --qps/--burst parsing commands share. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeDevopsError } from "../../lib/errors.ts";
import { connect, parseRateLimit } from "../../lib/kube/connect.ts";
import { CLI_RATE_LIMIT, CONTROLLER_RATE_LIMIT } from "../../lib/kube/rate-limiter.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

describe("parseRateLimit", () => {
  test("defaults when the flags are absent", () => {
    expect(parseRateLimit({}, CONTROLLER_RATE_LIMIT)).toEqual({ qps: 20, burst: 30 });
    expect(parseRateLimit({}, CLI_RATE_LIMIT)).toEqual({ qps: 50, burst: 100 });
  });
  test("values override; qps 0 means unlimited", () => {
    expect(parseRateLimit({ qps: "0", burst: "7" }, CONTROLLER_RATE_LIMIT)).toEqual({ qps: 0, burst: 7 });
    expect(parseRateLimit({ qps: "2.5" }, CONTROLLER_RATE_LIMIT)).toEqual({ qps: 2.5, burst: 30 });
  });
  test("bad values are usage errors naming the flag", () => {
    for (const [args, flag] of [[{ qps: "-1" }, "--qps"], [{ burst: "0" }, "--burst"], [{ qps: "fast" }, "--qps"]] as const) {
      let err: unknown;
      try {
        parseRateLimit(args, CONTROLLER_RATE_LIMIT);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KubeDevopsError);
      expect((err as KubeDevopsError).code).toBe("USAGE");
      expect((err as Error).message).toContain(`Invalid ${flag}`);
    }
  });
});

test("connect resolves context, namespace and server without sending a request", () => {
  const path = join(mkdtempSync(join(tmpdir(), "kd-connect-")), "config");
  writeFileSync(path, renderKubeconfig([{ name: "dev", server: "https://127.0.0.1:1", user: { token: "x" } }, { name: "prod", server: "https://127.0.0.1:2", user: { token: "y" }, namespace: "apps" }]));
  const c = connect({ kubeconfig: path, context: "prod", env: {}, rateLimit: CLI_RATE_LIMIT });
  expect({ context: c.contextName, namespace: c.namespace, server: c.server }).toEqual({ context: "prod", namespace: "apps", server: "https://127.0.0.1:2" });
  expect(c.client.executor.limiter?.limit).toEqual(CLI_RATE_LIMIT);
});
