/**
 * @module
 * Parses listen addresses the way users write them: `:8080`, `0.0.0.0:8080`,
 * `localhost:8443`, `[::1]:8443`. Hostnames are accepted (the reference
 * rejected anything but a literal IP). An empty host means every address, IPv6
 * included where the machine has it, as Go's `:8080` does: a webhook listening on
 * IPv4 only cannot be reached by the API server of an IPv6 single-stack cluster.
 */
import { usageError } from "../errors.ts";

export interface ListenAddress {
  hostname: string;
  port: number;
}

let ipv6: boolean | undefined;

/** True when a socket can listen on `::` here (false where IPv6 is disabled); probed once. */
function canListenOnIpv6(): boolean {
  if (ipv6 === undefined) {
    try {
      Bun.listen({ hostname: "::", port: 0, socket: { data() {} } }).stop(true);
      ipv6 = true;
    } catch {
      ipv6 = false;
    }
  }
  return ipv6;
}

/**
 * What an empty host listens on: `::` (IPv6 and IPv4: Bun turns IPV6_V6ONLY off itself, measured
 * with Bun 1.4.5 even under net.ipv6.bindv6only=1) or, without IPv6, `0.0.0.0`.
 */
export function anyAddress(hasIpv6: () => boolean = canListenOnIpv6): string {
  return hasIpv6() ? "::" : "0.0.0.0";
}

/** Parses `addr`; throws a USAGE error naming `flag` when it is not host:port. */
export function parseListenAddress(addr: string, flag = "--addr", any: () => string = anyAddress): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`Invalid ${flag} "${addr}": expected host:port, e.g. :8080, 0.0.0.0:8080 or localhost:8443`);
  }
  const host = match[1] ?? match[2] ?? "";
  return { hostname: host === "" ? any() : host, port };
}

/** The host part of a URL that reaches a listener on `hostname` from this machine (loopback for the wildcards). */
export function localUrlHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "127.0.0.1";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
