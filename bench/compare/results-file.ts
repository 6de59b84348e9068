/**
 * Where the comparison's figures go: its own section of bench/RESULTS.md, between two marker
 * comments (replaced on every run, appended when missing; the rest of the file is kept as
 * is), and the raw per-repetition figures as JSON in bench/results/, one file per run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT } from '../../test/support/processes';

export const RESULTS_MD = join(REPO_ROOT, 'bench', 'RESULTS.md');
const RAW_DIR = join(REPO_ROOT, 'bench', 'results');
const BEGIN = '<!-- compare:begin (written by bench/compare; edits between these markers are replaced) -->';
const END = '<!-- compare:end -->';

/** Replaces (or appends) the marked section of `path` with `markdown`. */
export function writeMarkedSection(path: string, markdown: string): void {
  const text = readFileSync(path, 'utf8');
  const section = `${BEGIN}\n${markdown.trim()}\n${END}`;
  const begin = text.indexOf('<!-- compare:begin');
  const end = text.indexOf(END);
  const updated =
    begin >= 0 && end > begin
      ? `${text.slice(0, begin)}${section}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, updated);
}

/** `bench/results/compare-2026-12-02T10-31-05Z.json`, repository-relative, for a run started at `startedAt`. */
export function rawResultsPath(startedAt: string): string {
  const stamp = startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return relative(REPO_ROOT, join(RAW_DIR, `compare-${stamp}.json`));
}

export function writeRawResults(repoRelativePath: string, data: unknown): void {
  const path = join(REPO_ROOT, repoRelativePath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
