/** `kube-devops crd generate` through the compiled binary: both CRDs, YAML only on stdout. */
import { expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { renderCrds } from "../../gen/crd.ts";
import { runBinary } from "../support/binary.ts";

test("crd generate prints DevOpsPolicy, ---, PolicyAuditResult and nothing on stderr", () => {
  const { code, stdout, stderr } = runBinary(["crd", "generate", "--log-level", "debug"]);
  expect(code).toBe(0);
  expect(stderr).toBe("");
  const docs = parseAllDocuments(stdout).map((d) => d.toJS());
  expect(docs).toEqual(JSON.parse(JSON.stringify(renderCrds())));
  expect(stdout).toMatch(/\n---\n/);
});
