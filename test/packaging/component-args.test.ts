/**
 * The args `deploy generate-*` writes into each Deployment (and so the chart's: chart.test.ts holds
 * them equal) are accepted by the binary's own flag parsing: the command they name, its strict
 * argv check (unknown flags, missing values, stray arguments), citty, and for reconcile the same checks its run() applies; once end to end
 * on the compiled binary.
 */
import { describe, expect, test } from "bun:test";
import { type ArgsDef, parseArgs } from "citty";
import { root } from "../../cmd/main.ts";
import { parseDeployArgs } from "../../gen/deploy-args.ts";
import type { DeployOptions } from "../../gen/options.ts";
import { componentArgs } from "../../gen/workloads.ts";
import { extractGlobalOptions } from "../../lib/cli/globals.ts";
import { resolveLeaf } from "../../lib/cli/run-cli.ts";
import { findArgvProblem, normalizeNegations } from "../../lib/cli/strict-flags.ts";
import { parseReconcileFlags } from "../../lib/operator/settings.ts";
import { COMPONENTS } from "../../lib/rbac/permissions.ts";
import { runBinary } from "../support/binary.ts";

const VERSION = "1.2.3";

/** What the CLI root does with a container's args before the command runs. */
async function parseAsBinary(args: string[]) {
  const { globals, rest } = extractGlobalOptions(args);
  const leaf = await resolveLeaf(root, rest);
  const definition = (typeof leaf.cmd.args === "function" ? await leaf.cmd.args() : await leaf.cmd.args) as ArgsDef;
  return { command: leaf.path.join(" "), globals, problem: findArgvProblem(leaf.argv, definition), parsed: parseArgs(normalizeNegations(leaf.argv, definition), definition) as Record<string, unknown> };
}

const nonDefaultFlags = {
  "requeue-interval": "45s",
  "pod-debounce": "500ms",
  "audit-interval": "2h",
  "audit-retention": "25",
  "status-heartbeat": "1m30s",
  "max-patches-per-cycle": "0",
  workers: "8",
  reports: "openreports",
};
const nonDefaultTuning = { requeueMs: 45_000, podDebounceMs: 500, auditIntervalMs: 7_200_000, auditRetention: 25, statusHeartbeatMs: 90_000, maxPatchesPerCycle: 0, workers: 8 };
const withExtraArgs = (options: DeployOptions, extraArgs: DeployOptions["extraArgs"]): DeployOptions => ({ ...options, extraArgs });

describe("generated args parse with each command's definition", () => {
  test("every component's args name its command, use only its flags and log JSON", async () => {
    const commands = { watch: "watch", reconcile: "reconcile", webhook: "webhook serve" };
    for (const options of [parseDeployArgs({}, VERSION), parseDeployArgs({ ...nonDefaultFlags, "cert-mode": "cert-manager" }, VERSION)]) {
      for (const c of COMPONENTS) {
        const { command, globals, problem } = await parseAsBinary(componentArgs(options, c));
        expect({ c, command, problem, logFormat: globals.logFormat }).toEqual({ c, command: commands[c], problem: undefined, logFormat: "json" });
      }
    }
  });

  test("the operator reads back every deploy setting, and extraArgs after them", async () => {
    const options = withExtraArgs(parseDeployArgs(nonDefaultFlags, VERSION), { watch: ["--page-size", "250"], reconcile: ["--qps", "50"], webhook: ["--cert-check-interval", "60"] });
    const reconcile = await parseAsBinary(componentArgs(options, "reconcile"));
    expect(parseReconcileFlags(reconcile.parsed)).toEqual(nonDefaultTuning);
    expect([reconcile.parsed.reports, reconcile.parsed.qps]).toEqual(["openreports", "50"]);
    expect((await parseAsBinary(componentArgs(options, "watch"))).parsed["page-size"]).toBe("250");
    expect((await parseAsBinary(componentArgs(options, "webhook"))).parsed["cert-check-interval"]).toBe("60");
    for (const mode of ["kubernetes", "none"]) expect((await parseAsBinary(componentArgs(parseDeployArgs({ "metrics-auth": mode }, VERSION), "webhook"))).parsed["metrics-auth"]).toBe(mode);
    for (const exemptions of [true, false]) {
      for (const c of COMPONENTS) {
        const { parsed, problem } = await parseAsBinary(componentArgs(parseDeployArgs({ exemptions }, VERSION), c));
        expect({ c, problem, exemptions: parsed.exemptions }).toEqual({ c, problem: undefined, exemptions });
      }
    }
  });

  test("default args give the operator the tuning it has without any flag", async () => {
    const generated = await parseAsBinary(componentArgs(parseDeployArgs({}, VERSION), "reconcile"));
    const bare = await parseAsBinary(["reconcile"]);
    expect(parseReconcileFlags(generated.parsed)).toEqual(parseReconcileFlags(bare.parsed));
  });

  test("an extraArg repeating a generated flag overrides it (the last value counts)", async () => {
    const options = withExtraArgs(parseDeployArgs({}, VERSION), { watch: [], reconcile: ["--audit-retention", "3", "--no-leader-elect"], webhook: [] });
    const { parsed } = await parseAsBinary(componentArgs(options, "reconcile"));
    expect([parseReconcileFlags(parsed).auditRetention, parsed["leader-elect"]]).toEqual([3, false]);
  });

  test("a misspelt or out-of-range flag is caught (the checks can fail)", async () => {
    const typo = withExtraArgs(parseDeployArgs({}, VERSION), { watch: [], reconcile: ["--audit-retension", "3"], webhook: [] });
    expect((await parseAsBinary(componentArgs(typo, "reconcile"))).problem).toEqual({ kind: "unknown-flag", flag: "--audit-retension" });
    const negative = await parseAsBinary(["reconcile", "--audit-retention", "-1"]);
    expect(() => parseReconcileFlags(negative.parsed)).toThrow('Invalid --audit-retention "-1": expected an integer >= 0');
  });

  test("compiled binary: the generated reconcile args get past flag parsing to the kubeconfig; a bad value is a usage error", () => {
    const args = componentArgs(withExtraArgs(parseDeployArgs(nonDefaultFlags, VERSION), { watch: [], reconcile: ["--qps", "50"], webhook: [] }), "reconcile");
    const accepted = runBinary([...args, "--kubeconfig", "/nonexistent/kubeconfig"]);
    expect({ code: accepted.code, stderr: accepted.stderr }).toEqual({ code: 1, stderr: expect.stringContaining("Cannot load kubeconfig") });
    const refused = runBinary([...args, "--workers", "0", "--kubeconfig", "/nonexistent/kubeconfig"]);
    // The generated args log JSON, so the error is one JSON line too.
    expect({ code: refused.code, error: JSON.parse(refused.stderr) }).toEqual({ code: 2, error: expect.objectContaining({ level: "error", code: "USAGE", msg: expect.stringContaining('Invalid --workers "0"') }) });
  });
});
