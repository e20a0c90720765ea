/**
 * Discovery as a v1.32 server serves it: legacy APIVersions/APIGroupList/APIResourceList and,
 * when the client asks first for it, aggregated discovery (apidiscovery.k8s.io/v2).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AGGREGATED_CONTENT_TYPE } from "./aggregated-discovery.ts";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const KUBECTL_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

describe("discovery", () => {
  test("/version, /api and /apis legacy documents", async () => {
    expect((await call(emu, "/version")).body).toMatchObject({ major: "1", minor: "32" });
    expect((await call(emu, "/api")).body).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const groups = (await call(emu, "/apis")).body;
    expect(groups.kind).toBe("APIGroupList");
    expect(groups.groups.find((g: any) => g.name === "apps")).toEqual({ name: "apps", versions: [{ groupVersion: "apps/v1", version: "v1" }], preferredVersion: { groupVersion: "apps/v1", version: "v1" } });
  });

  test("APIResourceList with subresources", async () => {
    const list = (await call(emu, "/apis/apps/v1")).body;
    expect(list.groupVersion).toBe("apps/v1");
    const deploy = list.resources.find((r: any) => r.name === "deployments");
    expect(deploy).toMatchObject({ singularName: "deployment", namespaced: true, kind: "Deployment", shortNames: ["deploy"], categories: ["all"] });
    expect(list.resources.map((r: any) => r.name)).toContain("deployments/status");
    expect(list.resources.map((r: any) => r.name)).toContain("deployments/scale");
  });

  test("aggregated discovery v2 when asked first, with its content type", async () => {
    const r = await call(emu, "/apis", { accept: KUBECTL_ACCEPT });
    expect(r.headers.get("content-type")).toBe(AGGREGATED_CONTENT_TYPE);
    expect(r.body).toMatchObject({ kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2" });
    const apps = r.body.items.find((i: any) => i.metadata.name === "apps");
    const deploy = apps.versions[0].resources.find((x: any) => x.resource === "deployments");
    expect(deploy).toMatchObject({ responseKind: { group: "apps", version: "v1", kind: "Deployment" }, scope: "Namespaced", singularResource: "deployment" });
    expect(deploy.subresources.map((s: any) => s.subresource)).toEqual(["status", "scale"]);
    const core = (await call(emu, "/api", { accept: KUBECTL_ACCEPT })).body;
    expect(core.items).toHaveLength(1);
    expect(core.items[0].metadata.name).toBe("");
    expect(core.items[0].versions[0].resources.find((x: any) => x.resource === "pods").scope).toBe("Namespaced");
  });

  test("/openapi/v3 indexes one document per group-version; PATCH operations name their kind and accept fieldValidation", async () => {
    const index = (await call(emu, "/openapi/v3")).body;
    const url = index.paths["apis/apps/v1"].serverRelativeURL;
    expect(url).toStartWith("/openapi/v3/apis/apps/v1?hash=");
    const doc = (await call(emu, url)).body;
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    expect(patch.parameters.map((p: any) => p.name)).toContain("fieldValidation");
    expect((await call(emu, "/openapi/v3/apis/nope/v1")).status).toBe(404);
  });

  test("a plain JSON Accept still gets the legacy documents", async () => {
    expect((await call(emu, "/apis", { accept: "application/json" })).body.kind).toBe("APIGroupList");
  });
});
