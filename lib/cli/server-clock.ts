/**
 * @module
 * The API server's clock as seen from here: `check` judges a Lease's renewTime (written by the
 * leader with the server's view of time, within a few seconds) against it, not against this
 * machine's clock, so a skewed laptop cannot make a healthy leader look stale (decision 0037).
 */

/**
 * How many ms the server's clock is ahead of ours, from a response's `Date` header (IMF-fixdate,
 * whole seconds) and when we sent the request and got the answer: the header was stamped between
 * the two, so its mid-second is compared with our midpoint. 0 without a usable header.
 */
export function serverClockOffset(dateHeader: string | null | undefined, sentAt: number, receivedAt: number): number {
  if (!dateHeader || !/^[A-Za-z]{3}, /.test(dateHeader)) return 0;
  const stamped = Date.parse(dateHeader);
  if (Number.isNaN(stamped)) return 0;
  return stamped + 500 - (sentAt + receivedAt) / 2;
}
