/**
 * @module
 * An in-process PolicyOperator against the emulator, as the operator tests run it: the test
 * settings (quick debounce, long requeue, no heartbeat in the way) unless a test overrides them.
 */
import { Registry } from "prom-client";
import type { KubeClient } from "../../lib/kube/client.ts";
import { systemClock } from "../../lib/kube/clock.ts";
import { listWatch } from "../../lib/kube/list-watch.ts";
import { createLogger, type Logger } from "../../lib/log.ts";
import { createOperatorMetrics, type OperatorMetrics } from "../../lib/operator/metrics.ts";
import { type OperatorOptions, PolicyOperator } from "../../lib/operator/operator.ts";

export const TEST_OPERATOR_OPTIONS: OperatorOptions = { requeueMs: 60_000, podDebounceMs: 50, auditIntervalMs: 3_600_000, auditRetention: 3, statusHeartbeatMs: 600_000, workers: 2 };

export interface TestOperator {
  operator: PolicyOperator;
  registry: Registry;
  metrics: OperatorMetrics;
  /** Aborts the operator and waits until it has stopped. */
  stop(): Promise<void>;
}

/** Starts an operator over `client`; `options` override TEST_OPERATOR_OPTIONS, `watchBackoff` the watch's retry delays. */
export function startTestOperator(client: KubeClient, settings: { logger?: Logger; options?: Partial<OperatorOptions>; watchBackoff?: { baseMs: number; maxMs: number; minMs: number } } = {}): TestOperator {
  const registry = new Registry();
  const metrics = createOperatorMetrics(registry);
  const abort = new AbortController();
  const operator = new PolicyOperator({
    client,
    clock: systemClock,
    logger: settings.logger ?? createLogger({ level: "silent" }),
    metrics,
    options: { ...TEST_OPERATOR_OPTIONS, ...settings.options },
    watch: (o) => listWatch({ client, ...o, ...(settings.watchBackoff ? { backoff: settings.watchBackoff } : {}) }),
  });
  const running = operator.run(abort.signal);
  return {
    operator,
    registry,
    metrics,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}
