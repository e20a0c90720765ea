/**
 * @module
 * `kube-devops webhook`: the validating admission webhook (`serve`) and the tools to
 * install it (`cert-generate`, `install-config`).
 */
import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "webhook", description: "Validating admission webhook: serve it, generate its certificates and its configuration" },
  subCommands: {
    serve: () => import("./webhook-serve.ts").then((m) => m.default),
    "cert-generate": () => import("./webhook-cert-generate.ts").then((m) => m.default),
    "install-config": () => import("./webhook-install-config.ts").then((m) => m.default),
  },
});
