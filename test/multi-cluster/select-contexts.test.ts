/** Which contexts multi-cluster analyze keeps: repeats dropped, one context per server + CA. */
import { describe, expect, test } from "bun:test";
import { normalizeServer, parseContextsFlag, selectClusters } from "../../lib/multi-cluster/select-contexts.ts";

describe("selectClusters", () => {
  test("same server spelled differently with the same CA is one cluster; a different CA or server is another", () => {
    const s = selectClusters([
      { context: "admin", server: "https://API.example:443/", ca: "CA1" },
      { context: "viewer", server: "https://api.example", ca: "CA1\n" },
      { context: "other-ca", server: "https://api.example", ca: "CA2" },
      { context: "other-port", server: "https://api.example:6443", ca: "CA1" },
      { context: "admin", server: "https://api.example", ca: "CA1" },
    ]);
    expect(s.contexts).toEqual(["admin", "other-ca", "other-port"]);
    expect(s.sameCluster).toEqual([{ skipped: "viewer", kept: "admin", server: "https://api.example" }]);
    expect(s.repeated).toEqual(["admin"]);
  });

  test("contexts without a server (their cluster missing from the kubeconfig) are not one cluster: each is kept and fails on its own", () => {
    const s = selectClusters([
      { context: "broken1", server: "", ca: "" },
      { context: "broken2", server: "", ca: "" },
      { context: "ok", server: "https://api.example", ca: "CA1" },
    ]);
    expect(s.contexts).toEqual(["broken1", "broken2", "ok"]);
    expect(s.sameCluster).toEqual([]);
  });

  test("normalizeServer keeps a path prefix (a proxy's) and drops a default port", () => {
    expect(normalizeServer("https://h.example:443/k8s/clusters/c-1/")).toBe("https://h.example/k8s/clusters/c-1");
    expect(normalizeServer("https://h.example/k8s/clusters/c-2")).not.toBe(normalizeServer("https://h.example/k8s/clusters/c-1"));
  });
});

describe("parseContextsFlag", () => {
  test("absent means every context; empty values are usage errors", () => {
    expect(parseContextsFlag(undefined)).toBeUndefined();
    expect(parseContextsFlag(" a, b ,")).toEqual(["a", "b"]);
    for (const v of ["", ",", " , "]) expect(() => parseContextsFlag(v)).toThrow("Invalid --contexts");
  });
});
