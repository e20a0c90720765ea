/**
 * @module
 * The emulator as a process:
 *   bun test/kube/serve.ts --port <p> --kubeconfig-out <file> [--seed <file-or-dir>]...
 *     [--controllers] [--no-rbac] [--webhook-service <ns>/<name>=<host:port>]...
 * Loads the seeds, writes a kubeconfig (admin token user; context "emulator-cert" with a client
 * certificate), prints exactly `ready https://127.0.0.1:<p>` and serves until SIGTERM/SIGINT.
 */
import { startEmulator } from "./emulator.ts";
import { readSeeds, SeedError } from "./seed.ts";

interface ServeArgs {
  port: number;
  kubeconfigOut?: string;
  seeds: string[];
  historySize?: number;
  bookmarkIntervalMs?: number;
  controllers: boolean;
  rbac: boolean;
  webhookServices: Record<string, string>;
}

function usage(message: string): never {
  process.stderr.write(`serve: ${message}\nusage: bun test/kube/serve.ts --port <p> --kubeconfig-out <file> [--seed <file-or-dir>]... [--history-size N] [--bookmark-interval-ms N] [--controllers] [--no-rbac] [--webhook-service <ns>/<name>=<host:port>]...\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): ServeArgs {
  const out: ServeArgs = { port: 0, seeds: [], controllers: false, rbac: true, webhookServices: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) usage(`${flag} must be a non-negative integer, got "${v}"`);
      return Number(v);
    };
    switch (flag) {
      case "--port":
        out.port = int();
        break;
      case "--kubeconfig-out":
        out.kubeconfigOut = value();
        break;
      case "--seed":
        out.seeds.push(value());
        break;
      case "--history-size":
        out.historySize = int();
        break;
      case "--bookmark-interval-ms":
        out.bookmarkIntervalMs = int();
        break;
      case "--controllers":
        out.controllers = true;
        break;
      case "--no-rbac":
        out.rbac = false;
        break;
      case "--webhook-service": {
        const v = value();
        const m = /^([^/=\s]+)\/([^/=\s]+)=(\S+:\d+)$/.exec(v);
        if (!m) usage(`--webhook-service must be <namespace>/<name>=<host:port>, got "${v}"`);
        out.webhookServices[`${m[1]}/${m[2]}`] = m[3]!;
        break;
      }
      default:
        usage(`unknown argument "${arg}"`);
    }
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
let seed;
try {
  seed = readSeeds(args.seeds);
} catch (err) {
  process.stderr.write(`serve: ${err instanceof SeedError ? err.message : String(err)}\n`);
  process.exit(1);
}
let emu;
try {
  emu = await startEmulator({ port: args.port, seed, controllers: args.controllers, rbac: args.rbac, webhookServices: args.webhookServices, ...(args.historySize ? { historySize: args.historySize } : {}), ...(args.bookmarkIntervalMs ? { bookmarkIntervalMs: args.bookmarkIntervalMs } : {}) });
} catch (err) {
  process.stderr.write(`serve: ${(err as Error).message}\n`);
  process.exit(1);
}
if (args.kubeconfigOut) emu.writeKubeconfig(args.kubeconfigOut);
process.stdout.write(`ready ${emu.url}\n`);

const shutdown = async (): Promise<void> => {
  await emu.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
