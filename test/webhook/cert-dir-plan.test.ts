/** The file-based CA rotation plan: which run stages, promotes, renews or replaces, and which combinations are refused. */
import { describe, expect, test } from "bun:test";
import { changesCa, planCertDir, type CertDirState } from "../../lib/webhook/cert-dir-plan.ts";
import { KubeDevopsError } from "../../lib/errors.ts";

const FILES = { caCert: "live/ca.crt", nextCaCert: "live/ca-next.crt" };
const plain = { newCa: false, promoteCa: false };
const newCa = { newCa: true, promoteCa: false };
const promote = { newCa: false, promoteCa: true };
const both = { newCa: true, promoteCa: true };

function refusal(state: CertDirState, flags: typeof plain): KubeDevopsError {
  try {
    planCertDir(state, flags, FILES);
  } catch (err) {
    if (err instanceof KubeDevopsError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("planCertDir()", () => {
  test("an empty directory gets a CA at once, with or without --new-ca", () => {
    expect(planCertDir({ currentCa: "absent", staged: false }, plain, FILES)).toBe("create-ca");
    expect(planCertDir({ currentCa: "absent", staged: false }, newCa, FILES)).toBe("create-ca");
    expect(planCertDir({ currentCa: "absent", staged: false }, both, FILES)).toBe("create-ca");
  });

  test("a plain re-run renews under the current CA, a staged CA staying staged", () => {
    expect(planCertDir({ currentCa: "valid", staged: false }, plain, FILES)).toBe("renew");
    expect(planCertDir({ currentCa: "valid", staged: true }, plain, FILES)).toBe("renew");
    // an expired CA is refused later, by the CA check, naming the date
    expect(planCertDir({ currentCa: "invalid", staged: false }, plain, FILES)).toBe("renew");
  });

  test("--new-ca stages when the current CA can still verify, and replaces at once one that cannot", () => {
    expect(planCertDir({ currentCa: "valid", staged: false }, newCa, FILES)).toBe("stage-ca");
    expect(planCertDir({ currentCa: "invalid", staged: false }, newCa, FILES)).toBe("replace-ca");
  });

  test("--promote-ca switches to the staged CA; --new-ca --promote-ca is the one-step replacement", () => {
    expect(planCertDir({ currentCa: "valid", staged: true }, promote, FILES)).toBe("promote-ca");
    expect(planCertDir({ currentCa: "absent", staged: true }, promote, FILES)).toBe("promote-ca");
    expect(planCertDir({ currentCa: "valid", staged: false }, both, FILES)).toBe("replace-ca");
    expect(["promote-ca", "replace-ca"].every((action) => changesCa(action as "promote-ca"))).toBe(true);
    expect(changesCa("stage-ca") || changesCa("renew") || changesCa("create-ca")).toBe(false);
  });

  test("a second --new-ca over a staged CA is refused: that CA may be in the caBundle already", () => {
    const error = refusal({ currentCa: "valid", staged: true }, newCa);
    expect(error.code).toBe("INPUT");
    expect(error.message).toBe("--new-ca: a next CA is already staged in live/ca-next.crt (and may be in the caBundle by now); nothing was written");
    expect(error.hint).toContain("--promote-ca");
    expect(refusal({ currentCa: "valid", staged: true }, both).hint).toBe("to switch to it pass --promote-ca alone");
  });

  test("--promote-ca with nothing staged, and a staged CA without a current one, are refused", () => {
    expect(refusal({ currentCa: "valid", staged: false }, promote).message).toBe("--promote-ca: no CA is staged (live/ca-next.crt is missing); nothing was written");
    expect(refusal({ currentCa: "absent", staged: true }, plain).message).toBe("live/ca-next.crt is staged but live/ca.crt is missing; nothing was written");
  });
});
