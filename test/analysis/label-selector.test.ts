/** Label selectors as kubectl -l accepts them. */
import { expect, test } from "bun:test";
import { KubeDevopsError } from "../../lib/errors.ts";
import { matchesLabels, parseLabelSelector } from "../../lib/label-selector.ts";

const labels = { app: "web", tier: "front", "app.kubernetes.io/name": "shop" };

test.each([
  ["app=web", true],
  ["app==web", true],
  ["app=api", false],
  ["app!=api", true],
  ["tier", true],
  ["!tier", false],
  ["!missing", true],
  ["tier in (front, back)", true],
  ["tier notin (front)", false],
  ["missing notin (x)", true],
  ["app=web,tier=back", false],
  ["app.kubernetes.io/name=shop,tier in (front)", true],
  ["", true],
])("%p matches: %p", (selector, expected) => {
  expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
});

test("a malformed selector is a usage error naming it", () => {
  expect(() => parseLabelSelector("app=we b")).toThrow(KubeDevopsError);
  expect(() => parseLabelSelector("=x")).toThrow(/Invalid label selector "=x"/);
});
