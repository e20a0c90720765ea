/** Which workloads keep their running pods on the old template after a patch (rollout-hold.ts), field by field. */
import { describe, expect, test } from "bun:test";
import { describeRolloutHold, findRolloutHold } from "../../lib/enforcement/rollout-hold.ts";

const describe_ = (w: Parameters<typeof findRolloutHold>[0]) => {
  const hold = findRolloutHold(w);
  return hold ? describeRolloutHold(hold) : "rolls out";
};

describe("findRolloutHold", () => {
  test("a StatefulSet partition keeps the pods below it; at or above the replicas, every pod", () => {
    expect(describe_({ kind: "StatefulSet", spec: { replicas: 5, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 3 } } } })).toBe(
      "running pods with an ordinal below 3 keep the old spec until the partition is lowered (rollingUpdate.partition 3)",
    );
    expect(describe_({ kind: "StatefulSet", spec: { replicas: 3, updateStrategy: { rollingUpdate: { partition: 3 } } } })).toBe("running pods keep the old spec until the partition is lowered (rollingUpdate.partition 3)");
    expect(describe_({ kind: "StatefulSet", spec: { updateStrategy: { rollingUpdate: { partition: 1 } } } })).toBe("running pods keep the old spec until the partition is lowered (rollingUpdate.partition 1)");
  });

  test("no hold: partition 0, a plain rolling update, a Deployment with a partition-like field, an unpaused Deployment", () => {
    expect(describe_({ kind: "StatefulSet", spec: { replicas: 3, updateStrategy: { rollingUpdate: { partition: 0 } } } })).toBe("rolls out");
    expect(describe_({ kind: "StatefulSet", spec: { replicas: 3, updateStrategy: { type: "RollingUpdate" } } })).toBe("rolls out");
    expect(describe_({ kind: "DaemonSet", spec: { updateStrategy: { rollingUpdate: { partition: 2 } } } })).toBe("rolls out");
    expect(describe_({ kind: "Deployment", spec: { paused: false } })).toBe("rolls out");
  });

  test("OnDelete and paused, as before", () => {
    expect(describe_({ kind: "StatefulSet", spec: { updateStrategy: { type: "OnDelete", rollingUpdate: { partition: 2 } } } })).toBe("running pods keep the old spec until deleted (updateStrategy OnDelete)");
    expect(describe_({ kind: "Deployment", spec: { paused: true } })).toBe("running pods keep the old spec until the rollout is resumed (spec.paused)");
  });
});
