// Summaries of A/B rounds, the printed table and the JSON written under bench/results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult } from './load.js';
import { ROOT } from './servers.js';

export interface Side {
  label: string;
  rounds: LoadResult[];
}

export interface ScenarioResult {
  name: string;
  what: string;
  a: Side;
  b?: Side;
  /** Median over rounds of A's req/s over B's req/s (round i of A against round i of B). */
  ratio?: number;
  target?: number;
  /** Why there are no figures (e.g. the route is not built yet). */
  pending?: string;
}

/** The targets of issue 6 §4 that apply to every Gatehouse scenario. */
export const P99_LIMIT_MS = 25;
export const SCALE_TOLERANCE = 0.1;

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summary(side: Side) {
  return {
    rps: median(side.rounds.map((r) => r.rps)),
    p50: median(side.rounds.map((r) => r.p50)),
    p99: median(side.rounds.map((r) => r.p99)),
    errors: side.rounds.reduce((n, r) => n + r.errors, 0),
  };
}

export function pairRatio(a: Side, b: Side): number {
  const n = Math.min(a.rounds.length, b.rounds.length);
  return median(Array.from({ length: n }, (_, i) => a.rounds[i].rps / b.rounds[i].rps));
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** Verdict on A's targets: ratio (if any), p99, errors. */
function verdict(r: ScenarioResult, ratioTarget: (ratio: number) => boolean): string {
  if (r.pending) return 'pending';
  const a = summary(r.a);
  const misses: string[] = [];
  if (r.ratio !== undefined && !ratioTarget(r.ratio)) misses.push('ratio');
  if (a.p99 >= P99_LIMIT_MS) misses.push('p99');
  if (a.errors > 0 || (r.b && summary(r.b).errors > 0)) misses.push('errors');
  return misses.length ? `MISSED (${misses.join(', ')})` : 'met';
}

/** A markdown table: A and B side by side, the median ratio and whether the targets are met. */
export function table(results: ScenarioResult[], heads: [string, string], mode: 'baseline' | 'scale'): string {
  const lines = [
    `| scenario | ${heads[0]} req/s | p50 ms | p99 ms | errors | ${heads[1]} req/s | p50 ms | p99 ms | errors | ratio (median) | target | verdict |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of results) {
    if (r.pending) {
      lines.push(`| ${r.name} | ${r.pending} |||||||||||`);
      continue;
    }
    const a = summary(r.a);
    const b = r.b ? summary(r.b) : undefined;
    const target = mode === 'scale' ? `≥ ${fmt(1 - SCALE_TOLERANCE, 2)}` : r.target !== undefined ? `≥ ${r.target}` : '–';
    const check = mode === 'scale' ? (x: number) => x >= 1 - SCALE_TOLERANCE : (x: number) => r.target === undefined || x >= r.target;
    lines.push(`| ${r.name} | ${fmt(a.rps)} | ${fmt(a.p50, 1)} | ${fmt(a.p99, 1)} | ${a.errors} | ${b ? fmt(b.rps) : '–'} | ${b ? fmt(b.p50, 1) : '–'} | ${b ? fmt(b.p99, 1) : '–'} | ${b ? b.errors : '–'} | ${r.ratio === undefined ? '–' : fmt(r.ratio, 2)} | ${target}, p99 < ${P99_LIMIT_MS} ms, 0 errors | ${verdict(r, check)} |`);
  }
  return lines.join('\n');
}

export function writeResults(report: Record<string, unknown>): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${stamp}.json`);
  const body = JSON.stringify({
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    ...report,
  }, null, 2);
  fs.writeFileSync(file, body);
  fs.writeFileSync(path.join(dir, 'latest.json'), body);
  return path.relative(ROOT, file);
}
