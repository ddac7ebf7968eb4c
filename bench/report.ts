/** The results' shape, the printed tables (values, ratios against the peers, memory) and the JSON. */

/** A figure, with the timed steps and final loss of a training run (to check all do the same work). */
export type Cell = { value: number; steps?: number; loss?: number | null } | { na: string };

export interface Column {
  id: string;
  label: string;
  /** chainrule's own backends, or a peer it is compared with. */
  side: 'chainrule' | 'peer';
  /** Threads it ran on (null: not controllable, the backend's default). */
  threads: number | null;
}

export interface Row {
  key: string;
  section: 'sgemm' | 'training';
  unit: string;
  cells: Record<string, Cell>;
}

export interface MemRow {
  engine: string;
  /** RSS around the timed MLP run (in the harness's process), bytes. */
  before?: number;
  after?: number;
}

const MiB = 2 ** 20;

export function fmtValue(v: number, unit: string): string {
  if (unit === 'GFLOP/s') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  return v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);
}

export function fmtRatio(r: number): string {
  return r >= 10 ? `×${r.toFixed(0)}` : `×${r.toFixed(2)}`;
}

export function fmtMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

const valueOf = (c: Cell | undefined): number | null => (c && 'value' in c ? c.value : null);

/** The best chainrule column among those whose thread count passes `ok`, and its value. */
function best(row: Row, cols: Column[], ok: (c: Column) => boolean): { col: Column; v: number } | null {
  let out: { col: Column; v: number } | null = null;
  for (const c of cols) {
    const v = valueOf(row.cells[c.id]);
    if (c.side === 'chainrule' && ok(c) && v !== null && (!out || v > out.v)) out = { col: c, v };
  }
  return out;
}

export interface RatioSpec {
  label: string;
  peer: string;
  /** Which chainrule columns compete: one-thread ones against one-thread peers. */
  oneThread: boolean;
}

/**
 * Ratio columns: the best chainrule figure over the peer's (higher is better for chainrule).
 * TF.js runs on one thread in Node, but the targets compare it with chainrule on all
 * cores, so all chainrule columns compete there; PyTorch is compared thread count for thread count.
 */
export function ratioSpecs(cols: Column[], cores: number): RatioSpec[] {
  const specs: RatioSpec[] = [];
  for (const c of cols) {
    if (c.side !== 'peer') continue;
    const torch1 = c.id === 'torch-1t';
    specs.push({ label: `vs ${c.label}`, peer: c.id, oneThread: torch1 || cores === 1 });
  }
  return specs;
}

export function ratios(row: Row, cols: Column[], specs: RatioSpec[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const s of specs) {
    const b = best(row, cols, (c) => !s.oneThread || c.threads === 1 || c.threads === null);
    const p = valueOf(row.cells[s.peer]);
    out[s.peer] = b && p ? b.v / p : null;
  }
  return out;
}

/** Values table of one section, then its ratios, then the reasons behind each 'n/a'. */
export function renderSection(title: string, rows: Row[], cols: Column[], cores: number): string {
  if (rows.length === 0) return '';
  const unit = rows[0].unit;
  const notes = new Map<string, string[]>();
  const body = rows.map((r) => [
    r.key,
    ...cols.map((c) => {
      const cell = r.cells[c.id];
      if (!cell) return '-';
      if ('value' in cell) return fmtValue(cell.value, unit);
      const who = notes.get(cell.na) ?? [];
      if (!who.includes(c.label)) who.push(c.label);
      notes.set(cell.na, who);
      return 'n/a';
    }),
  ]);
  const parts = [`${title} (${unit}, higher is better)`, table(['', ...cols.map((c) => c.label)], body)];
  const specs = ratioSpecs(cols, cores);
  const ratioRows = rows.map((r) => {
    const b = best(r, cols, () => true);
    const rs = ratios(r, cols, specs);
    return [
      r.key,
      b ? b.col.label : 'n/a',
      ...specs.map((s) => (rs[s.peer] ? fmtRatio(rs[s.peer]!) : 'n/a')),
    ];
  });
  if (specs.length > 0) {
    parts.push(
      'chainrule ÷ peer (best chainrule column; one-thread columns only against torch 1t)',
      table(['', 'best chainrule', ...specs.map((s) => s.label)], ratioRows),
    );
  }
  for (const [why, who] of notes) parts.push(`  n/a ${who.join(', ')}: ${why}`);
  return parts.join('\n');
}

export function renderMemory(timed: MemRow[], loops: Record<string, unknown>[]): string {
  const parts: string[] = [];
  const t = timed.filter((m) => m.before !== undefined && m.after !== undefined);
  if (t.length > 0) {
    parts.push(
      'Resident memory around the timed MLP run (one process, engines in turn)',
      table(
        ['engine', 'before', 'after', 'growth'],
        t.map((m) => [
          m.engine,
          fmtMiB(m.before!),
          fmtMiB(m.after!),
          `${(m.after! - m.before!) / MiB >= 0 ? '+' : ''}${((m.after! - m.before!) / MiB).toFixed(1)} MiB`,
        ]),
      ),
    );
  }
  if (loops.length > 0) {
    parts.push(
      'Long MLP loop without dispose() (fresh process per backend): RSS after the first epoch vs the end',
      table(
        ['backend', 'steps', 'epoch', 'first epoch', 'end', 'peak', 'growth', 'samples/s'],
        loops.map((l) =>
          'error' in l
            ? [String(l.backend), 'n/a', '', '', '', '', String(l.error), '']
            : [
                String(l.backend),
                String(l.steps),
                String(l.epochSteps),
                fmtMiB(l.rssFirstEpoch as number),
                fmtMiB(l.rssEnd as number),
                fmtMiB(l.rssMax as number),
                `${(l.growthPct as number) >= 0 ? '+' : ''}${(l.growthPct as number).toFixed(1)}%`,
                fmtValue(((l.steps as number) * (l.batch as number)) / (l.seconds as number), 'samples/s'),
              ],
        ),
      ),
    );
  }
  return parts.join('\n');
}
