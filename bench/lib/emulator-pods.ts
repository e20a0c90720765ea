/**
 * @module
 * The pod population of the scale benches in the API emulator: namespaces of
 * PODS_PER_NAMESPACE pods of every shape the checks care about (test/watch's
 * `makePod`), seeded quietly, then churned (modified) as fast as the emulator emits.
 */
import type { Emulator } from "../../test/kube/emulator.ts";
import { makePod } from "../../test/watch/support.ts";

export const PODS_PER_NAMESPACE = 100;

/** The namespace of the i-th pod: `team-<i / PODS_PER_NAMESPACE>`. */
export function namespaceOf(i: number): string {
  return `team-${Math.floor(i / PODS_PER_NAMESPACE)}`;
}

/** Namespaces that `pods` seeded pods occupy. */
export function namespaceCount(pods: number): number {
  return Math.ceil(pods / PODS_PER_NAMESPACE);
}

/** Loads pods `from` .. `to - 1` without watch events (as if they were there before anyone watched). */
export function seedPods(emu: Emulator, from: number, to: number): void {
  for (let i = from; i < to; i++) emu.store.load(makePod(namespaceOf(i), `pod-${i}`, i), { quiet: true });
}

/**
 * Modifies `events` of the first `pods` pods (spread over all namespaces, each one's shape
 * changing) as fast as the emulator takes them, yielding now and then so its sockets
 * flush; resolves with the emission time in ms.
 */
export async function churnPods(emu: Emulator, pods: number, events: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < events; i++) {
    const n = (i * 7919) % pods;
    emu.store.load(makePod(namespaceOf(n), `pod-${n}`, n + i));
    if (i % 500 === 499) await Bun.sleep(0);
  }
  return performance.now() - start;
}
