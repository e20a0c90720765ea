/**
 * @module
 * Strict RFC 3339 date-times for flags: `2026-11-26T10:00:00Z` or with an explicit
 * offset (`+01:00`), a real calendar date, optional fractional seconds. Nothing the
 * JavaScript Date parser would also take (`1`, `March 7`, a date that rolls over,
 * a local time that depends on the machine's time zone).
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Epoch milliseconds of an RFC 3339 date-time, or a reason it is not one. */
export function parseRfc3339(text: string): { ms: number } | { error: string } {
  const m = RFC3339.exec(text);
  if (!m) return { error: "not an RFC 3339 date-time with a time zone (YYYY-MM-DDThh:mm:ss[.frac] followed by Z or ±hh:mm)" };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return { error: `${m[1]}-${m[2]}-${m[3]} is not a calendar date` };
  if (hour > 23 || minute > 59 || second > 59) return { error: `${m[4]}:${m[5]}:${m[6]} is not a time of day` };
  let offset = 0;
  if (m[9] !== undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return { error: `${m[9]}${m[10]}:${m[11]} is not a time zone offset` };
    offset = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear keeps them as given.
  const at = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, fraction));
  at.setUTCFullYear(year);
  return { ms: at.getTime() - offset * 60_000 };
}
