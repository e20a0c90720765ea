/**
 * @module
 * Status fields the API server drops from the operator's writes. A DevOpsPolicy CRD installed by
 * an older release has no schema for fields added since (`enforcementMode`, `unresolved`, …), and
 * the server prunes them silently; compared with what is stored, every evaluation would then look
 * like a change and be written again. Seen once, a pruned field is left out of comparisons (it is
 * still written, so the first write after `kube-devops crd install` stores it) and named in one
 * warning that says how to fix it (decision 0009).
 */

export class PrunedStatusFields {
  private readonly fields = new Set<string>();

  /**
   * Top-level keys `written` set (not cleared) that `stored` lacks; those seen for the first time.
   * No stored status (an answer without one) proves nothing and records nothing. A known field
   * stored again is forgotten: the CRD was updated (`crd install`) and it is compared again.
   */
  observe(written: Readonly<Record<string, unknown>>, stored: Readonly<Record<string, unknown>> | undefined): string[] {
    const fresh: string[] = [];
    if (stored === undefined) return fresh;
    for (const [key, value] of Object.entries(written)) {
      if (value === undefined || value === null) continue;
      if (key in stored) {
        this.fields.delete(key);
        continue;
      }
      if (this.fields.has(key)) continue;
      this.fields.add(key);
      fresh.push(key);
    }
    return fresh;
  }

  /** `status` without the fields the server is known to prune, to compare with what it stores. */
  strip<T extends Record<string, unknown>>(status: T): T;
  strip<T extends Record<string, unknown>>(status: T | undefined): T | undefined;
  strip<T extends Record<string, unknown>>(status: T | undefined): T | undefined {
    if (status === undefined || this.fields.size === 0) return status;
    const copy: Record<string, unknown> = { ...status };
    for (const key of this.fields) delete copy[key];
    return copy as T;
  }
}
