/** A signal during a step that must finish is held back, then ends the process as it would have. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MODULE = join(import.meta.dir, "..", "lib", "cli", "defer-signals.ts");

/** A child that signals itself halfway through a synchronous two-file step. */
function runChild(dir: string, deferred: boolean) {
  const script = `
    import { writeFileSync } from "node:fs";
    import { withSignalsDeferred } from ${JSON.stringify(MODULE)};
    const step = () => {
      writeFileSync(${JSON.stringify(join(dir, "first"))}, "1");
      process.kill(process.pid, "SIGTERM");
      const until = Date.now() + 200; while (Date.now() < until) {}
      writeFileSync(${JSON.stringify(join(dir, "second"))}, "2");
    };
    ${deferred ? "await withSignalsDeferred(step);" : "step(); await Bun.sleep(50);"}
    writeFileSync(${JSON.stringify(join(dir, "after"))}, "3");
  `;
  return Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
}

describe("withSignalsDeferred", () => {
  test("the step finishes, then the signal ends the process (exit by SIGTERM), and nothing after it runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-defer-"));
    const run = runChild(dir, true);
    expect(run.signalCode ?? run.exitCode).toBe("SIGTERM");
    expect(readFileSync(join(dir, "second"), "utf8")).toBe("2");
    expect(existsSync(join(dir, "after"))).toBe(false);
  });

  test("without it, the signal cuts the step between its two writes (what the guard is for)", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-defer-"));
    const run = runChild(dir, false);
    expect(run.signalCode ?? run.exitCode).toBe("SIGTERM");
    expect(existsSync(join(dir, "first"))).toBe(true);
    expect(existsSync(join(dir, "second"))).toBe(false);
  });
});
