/**
 * SARIF file locations GitHub code scanning can map: relative to the working directory with
 * uriBaseId %SRCROOT% (and the base in run.originalUriBaseIds) when the file is under it, else an
 * absolute file:// URI. The absolute local path it used to write matched no file of the repository.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifactLocation } from "../../lib/analysis/render-sarif.ts";
import { runBinary } from "../support/binary.ts";

describe("artifactLocation", () => {
  test("under cwd: relative with %SRCROOT%, path segments percent-encoded", () => {
    expect(artifactLocation("/repo/k8s/web app.yaml", "/repo")).toEqual({ uri: "k8s/web%20app.yaml", uriBaseId: "%SRCROOT%" });
    expect(artifactLocation("k8s/web.yaml", "/repo")).toEqual({ uri: "k8s/web.yaml", uriBaseId: "%SRCROOT%" });
    expect(artifactLocation("./k8s/../web.yaml", "/repo")).toEqual({ uri: "web.yaml", uriBaseId: "%SRCROOT%" });
    expect(artifactLocation("..web.yaml", "/repo")).toEqual({ uri: "..web.yaml", uriBaseId: "%SRCROOT%" });
  });

  test("outside cwd: an absolute file URI; without a cwd the path as given", () => {
    expect(artifactLocation("/elsewhere/web.yaml", "/repo")).toEqual({ uri: "file:///elsewhere/web.yaml" });
    expect(artifactLocation("../other/web.yaml", "/repo/sub")).toEqual({ uri: "file:///repo/other/web.yaml" });
    expect(artifactLocation("/repo-2/web.yaml", "/repo")).toEqual({ uri: "file:///repo-2/web.yaml" });
    expect(artifactLocation("snap.yaml", undefined)).toEqual({ uri: "snap.yaml" });
  });
});

describe("analyze -o sarif", () => {
  const dir = mkdtempSync(join(tmpdir(), "kd-sarif-"));
  mkdirSync(join(dir, "k8s"));
  const file = join(dir, "k8s", "pod.yaml");
  writeFileSync(file, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx}]}\n");
  const locationOf = (sarif: string) => JSON.parse(sarif).runs[0].results[0].locations[0].physicalLocation.artifactLocation;

  test("a file under the working directory, given relative or absolute: relative to %SRCROOT%, whose base is the cwd", () => {
    const relative = runBinary(["analyze", "-f", "k8s/pod.yaml", "-o", "sarif"], { cwd: dir });
    expect(locationOf(relative.stdout)).toEqual({ uri: "k8s/pod.yaml", uriBaseId: "%SRCROOT%" });
    expect(JSON.parse(relative.stdout).runs[0].originalUriBaseIds).toEqual({ "%SRCROOT%": { uri: `file://${dir}/` } });
    expect(locationOf(runBinary(["analyze", "-f", file, "-o", "sarif"], { cwd: dir }).stdout)).toEqual({ uri: "k8s/pod.yaml", uriBaseId: "%SRCROOT%" });
  });

  test("a file outside it: an absolute file URI", () => {
    mkdirSync(join(dir, "elsewhere"));
    expect(locationOf(runBinary(["analyze", "-f", file, "-o", "sarif"], { cwd: join(dir, "elsewhere") }).stdout)).toEqual({ uri: `file://${file}` });
  });
});
