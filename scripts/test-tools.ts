/**
 * @module
 * Run by `bun run test` before the suite. The suite drives the real `kubectl`, `promtool` and
 * `prometheus` (Debian's `prometheus` package). A missing Prometheus is installed with apt-get
 * when this runs as root on a machine that has apt (as .ci/run always did), so the README's test
 * command works on a fresh machine; anything still missing is named with how to get it. Never
 * fails the run itself: a test that needs a missing tool fails naming it.
 */
const say = (line: string) => process.stderr.write(`test tools: ${line}\n`);

function missing(tools: readonly string[]): string[] {
  return tools.filter((t) => Bun.which(t) === null);
}

function installPrometheus(): boolean {
  if (process.getuid?.() !== 0 || Bun.which("apt-get") === null) return false;
  say("installing the Debian package prometheus (promtool, prometheus) with apt-get for the Prometheus tests ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"]]) {
    const run = Bun.spawnSync(args, { env, stdout: "pipe", stderr: "pipe" });
    if (run.exitCode !== 0) {
      say(`${args.join(" ")} failed (exit ${run.exitCode}): ${run.stderr.toString().trim().split("\n").slice(-3).join(" | ")}`);
      return false;
    }
  }
  return true;
}

if (missing(["promtool", "prometheus"]).length > 0) installPrometheus();
const still = missing(["kubectl", "promtool", "prometheus"]);
if (still.length > 0) {
  say(`missing on PATH: ${still.join(", ")} — the tests that drive them will fail naming them.`);
  if (still.includes("promtool") || still.includes("prometheus")) say("Prometheus: apt-get install prometheus (Debian/Ubuntu), or put promtool and prometheus on PATH.");
  if (still.includes("kubectl")) say("kubectl: https://kubernetes.io/docs/tasks/tools/ (any recent release).");
}
