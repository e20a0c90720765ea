/**
 * @module
 * The operator's tunables — `reconcile`'s flags, their defaults and lower bounds — in one table:
 * cmd/reconcile.ts declares and parses its flags from it, and `deploy generate-*` and the Helm
 * chart render the operator's args from it, so neither can drift from the binary. Pure.
 */
import { durationFlag } from "../duration.ts";
import { integerFlag } from "../integer-flag.ts";

interface DurationSetting {
  flag: string;
  kind: "duration";
  default: string;
  /** The smallest value the operator accepts, in milliseconds. */
  minMs: number;
  description: string;
}

interface CountSetting {
  flag: string;
  kind: "count";
  default: number;
  min: number;
  description: string;
}

export type ReconcileSetting = DurationSetting | CountSetting;

/** In the order `reconcile --help` lists them. */
export const RECONCILE_SETTINGS = {
  requeueInterval: { flag: "requeue-interval", kind: "duration", default: "30s", minMs: 1000, description: "Re-evaluate every policy at least this often" },
  podDebounce: { flag: "pod-debounce", kind: "duration", default: "2s", minMs: 0, description: "Coalesce pod changes of a policy's namespace over this window" },
  auditInterval: { flag: "audit-interval", kind: "duration", default: "1h", minMs: 1000, description: "Record an unchanged result at most this often (changes are recorded at once)" },
  auditRetention: { flag: "audit-retention", kind: "count", default: 10, min: 0, description: "PolicyAuditResults kept per policy (0 disables audit history)" },
  statusHeartbeat: {
    flag: "status-heartbeat",
    kind: "duration",
    default: "10m",
    minMs: 1000,
    description: "Rewrite an unchanged status (lastEvaluated), and re-read an unchanged --reports report, at most this often",
  },
  maxPatchesPerCycle: { flag: "max-patches-per-cycle", kind: "count", default: 5, min: 0, description: "Enforcement patches at most this many workloads per policy per cycle" },
  workers: { flag: "workers", kind: "count", default: 4, min: 1, description: "Policies reconciled concurrently" },
} as const satisfies Record<string, ReconcileSetting>;

export type ReconcileSettingKey = keyof typeof RECONCILE_SETTINGS;
type Setting<K extends ReconcileSettingKey> = (typeof RECONCILE_SETTINGS)[K];

/** Each setting as it is written on the command line: durations as text, counts as integers. */
export type ReconcileSettings = { [K in ReconcileSettingKey]: Setting<K>["default"] extends string ? string : number };

export const RECONCILE_SETTING_KEYS = Object.keys(RECONCILE_SETTINGS) as ReconcileSettingKey[];

export const DEFAULT_RECONCILE_SETTINGS = Object.fromEntries(RECONCILE_SETTING_KEYS.map((k) => [k, RECONCILE_SETTINGS[k].default])) as ReconcileSettings;

/** A flag declaration in citty's shape (lib stays free of citty; the shape is all it needs). */
interface StringFlag {
  type: "string";
  default: string;
  description: string;
  valueHint: string;
}

export type ReconcileFlagArgs = { [K in ReconcileSettingKey as Setting<K>["flag"]]: StringFlag };

/** The settings as citty flags, `--requeue-interval` …; `describe` may reword the help text. */
export function reconcileSettingArgs(describe: (description: string, flag: string) => string = (d) => d): ReconcileFlagArgs {
  return Object.fromEntries(
    RECONCILE_SETTING_KEYS.map((k) => {
      const s: ReconcileSetting = RECONCILE_SETTINGS[k];
      return [s.flag, { type: "string", default: String(s.default), description: describe(s.description, s.flag), valueHint: s.kind }];
    }),
  ) as ReconcileFlagArgs;
}

/**
 * One setting's text checked as the operator checks it: a duration keeps its text, a count
 * becomes an integer. A bad value is a usage error naming the flag.
 */
export function parseReconcileSetting<K extends ReconcileSettingKey>(key: K, text: string): ReconcileSettings[K] {
  const s: ReconcileSetting = RECONCILE_SETTINGS[key];
  if (s.kind === "count") return integerFlag(`--${s.flag}`, text, { min: s.min }) as ReconcileSettings[K];
  durationFlag(`--${s.flag}`, text, { min: s.minMs });
  return text as ReconcileSettings[K];
}

/** What the operator runs with (durations in milliseconds). */
export interface OperatorTuning {
  requeueMs: number;
  podDebounceMs: number;
  auditIntervalMs: number;
  auditRetention: number;
  statusHeartbeatMs: number;
  maxPatchesPerCycle: number;
  workers: number;
}

/** `reconcile`'s parsed flags into the operator's tuning; a bad value is a usage error naming its flag. */
export function parseReconcileFlags(args: Record<string, unknown>): OperatorTuning {
  const text = (k: ReconcileSettingKey): string => {
    const s = RECONCILE_SETTINGS[k];
    const v = args[s.flag];
    return typeof v === "string" ? v : String(s.default);
  };
  const ms = (k: "requeueInterval" | "podDebounce" | "auditInterval" | "statusHeartbeat"): number => {
    const s = RECONCILE_SETTINGS[k];
    return durationFlag(`--${s.flag}`, text(k), { min: s.minMs });
  };
  return {
    requeueMs: ms("requeueInterval"),
    podDebounceMs: ms("podDebounce"),
    auditIntervalMs: ms("auditInterval"),
    auditRetention: parseReconcileSetting("auditRetention", text("auditRetention")),
    statusHeartbeatMs: ms("statusHeartbeat"),
    maxPatchesPerCycle: parseReconcileSetting("maxPatchesPerCycle", text("maxPatchesPerCycle")),
    workers: parseReconcileSetting("workers", text("workers")),
  };
}
