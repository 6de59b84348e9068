/**
 * The samples of a Prometheus text exposition, keyed `name{label="value",...}` with the
 * labels in alphabetical order (`name` alone when it has none), so tests can name a series
 * exactly whatever order the library printed its labels in.
 */
export function parsePromText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((label) => `${label[1]}="${label[2]}"`).sort();
    samples.set(labels.length > 0 ? `${match[1]}{${labels.join(',')}}` : match[1]!, Number(match[3]));
  }
  return samples;
}

/** The key parsePromText gives the series of `name` with `labels`. */
export function series(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).sort();
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}

/** The samples of `name` (any labels), for checking that no other series exist. */
export function seriesOf(samples: ReadonlyMap<string, number>, name: string): Map<string, number> {
  return new Map([...samples].filter(([key]) => key === name || key.startsWith(`${name}{`)));
}
