/**
 * @module
 * Published numbers of comparable tools (from /work/shared/reference/anchors.md §3),
 * printed beside ours in the report with their setups so readers compare honestly.
 */

export interface Anchor {
  tool: string;
  figure: string;
  value: string;
  setup: string;
  source: string;
}

export const ANCHORS: Anchor[] = [
  {
    tool: "Kyverno 1.18.1 (CEL ValidatingPolicy, PSS, 1 replica)",
    figure: "admission latency avg / p99",
    value: "156 ms / 487 ms at 200 VUs; 366 ms / 1,247 ms at 500 VUs",
    setup: "end-to-end k6 iteration (API server + etcd + webhook) on KinD, 32 vCPU; baseline without Kyverno already 145-251 ms avg",
    source: "kyverno/kyverno docs/perf-testing/v1.18.1/results/summary.md",
  },
  {
    tool: "Kyverno (ClusterPolicy, 17 PSS policies, 1 replica)",
    figure: "admission latency avg",
    value: "37.7 ms at 100 VUs / 1,000 iterations",
    setup: "KinD on 32-core EPYC, k6, end to end",
    source: "kyverno/website scaling.md",
  },
  {
    tool: "Gatekeeper (draft load tool 'hammer')",
    figure: "throughput / mean latency",
    value: "294 QPS at 2.255 s mean (target 500 QPS), 782 HTTP 429s",
    setup: "800 workers, one required-labels constraint",
    source: "gatekeeper PR #1461",
  },
  {
    tool: "Kubewarden (production, 30 policy-server replicas × 4 cores)",
    figure: "admission throughput",
    value: "up to 300 req/s",
    setup: "~400 nodes, 10k pods, 22 cluster policies",
    source: "kubewarden/docs deploy-at-scale",
  },
  {
    tool: "Kyverno reports-controller",
    figure: "memory vs resources",
    value: "99 Mi at 1,284 reports; 118 Mi at 4,879; 152 Mi at 10,254",
    setup: "16 PSS audit policies",
    source: "kyverno/website scaling.md § Reports Controller",
  },
  {
    tool: "Kyverno CLI apply --cluster",
    figure: "scan time",
    value: "~3,000 resources in 1-2 s (after concurrent loading; 10-15 min before)",
    setup: "LFX mentorship optimisation blog",
    source: "kyverno/website blog optimizing-kyverno-cli",
  },
];
