/**
 * @module
 * Parses listen addresses the way users write them: `:8080`, `0.0.0.0:8080`,
 * `localhost:8443`, `[::1]:8443`. Hostnames are accepted (the reference
 * rejected anything but a literal IP).
 */
import { usageError } from "../errors.ts";

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Parses `addr`; throws a USAGE error naming `flag` when it is not host:port. */
export function parseListenAddress(addr: string, flag = "--addr"): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`Invalid ${flag} "${addr}": expected host:port, e.g. :8080, 0.0.0.0:8080 or localhost:8443`);
  }
  const host = match[1] ?? match[2] ?? "";
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}
