/**
 * @module
 * Dependency-free SVG line charts for the bench report (log-scale x when the
 * points span more than two decades, e.g. 1k/10k/100k pods; log-scale y on request).
 */
import type { Series } from "./result.ts";

const W = 640;
const H = 360;
const PAD = { left: 70, right: 20, top: 40, bottom: 50 };
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  const f = value / exp;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * exp;
}

/** The y axis: value → fraction of the plot height (0 = bottom), and the tick values. */
export function yAxis(ys: readonly number[], log: boolean): { at: (y: number) => number; ticks: number[] } {
  if (log) {
    const positive = ys.filter((y) => y > 0);
    const lo = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
    const hi = positive.length ? Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive)))) : lo + 1;
    return { at: (y) => (Math.log10(y) - lo) / (hi - lo), ticks: Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)) };
  }
  const max = niceMax(Math.max(...ys, 0));
  return { at: (y) => y / max, ticks: Array.from({ length: 5 }, (_, i) => (max * i) / 4) };
}

/** Renders `series` as a standalone SVG document. */
export function renderLineChart(series: Series): string {
  const points = series.lines.flatMap((l) => l.points);
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const logX = xMin > 0 && xMax / xMin >= 100;
  const y = yAxis(ys, series.logY === true);
  const fx = (x: number): number => {
    const t = logX ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin) || 1) : (x - xMin) / (xMax - xMin || 1);
    return PAD.left + t * (W - PAD.left - PAD.right);
  };
  const fy = (v: number): number => H - PAD.bottom - y.at(v) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(series.title)}</text>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="black"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="black"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(series.xLabel)}${logX ? " (log scale)" : ""}</text>`,
    `<text x="15" y="${H / 2}" text-anchor="middle" transform="rotate(-90 15 ${H / 2})">${escapeXml(series.yLabel)}${series.logY ? " (log scale)" : ""}</text>`,
  ];
  for (const tick of y.ticks) {
    parts.push(`<line x1="${PAD.left}" y1="${fy(tick)}" x2="${W - PAD.right}" y2="${fy(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${fy(tick) + 4}" text-anchor="end">${Number(tick.toPrecision(3))}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${fx(x)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${x >= 1000 ? `${x / 1000}k` : x}</text>`);
  }
  series.lines.forEach((line, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const sorted = [...line.points].sort((a, b) => a[0] - b[0]);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map(([x, y]) => `${fx(x).toFixed(1)},${fy(y).toFixed(1)}`).join(" ")}"/>`);
    for (const [x, y] of sorted) parts.push(`<circle cx="${fx(x).toFixed(1)}" cy="${fy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${PAD.left + 10}" y="${PAD.top + i * 18}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${PAD.left + 28}" y="${PAD.top + 5 + i * 18}">${escapeXml(line.name)}</text>`);
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
