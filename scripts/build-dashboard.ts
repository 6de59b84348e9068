/**
 * Builds the web dashboard: `node --import tsx scripts/build-dashboard.ts [outDir]`
 * (default dist/dashboard). Writes app.js, app.css, index.html and sizes.json, prints the
 * sizes, and fails when the gzipped total outgrows the budget: the dashboard ships inside
 * the coordinator, so its weight is everyone's.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_GZIP_BYTES = 150 * 1024;
const root = path.resolve(__dirname, '..');
const src = path.join(root, 'dashboard');

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'dashboard'));
  await mkdir(out, { recursive: true });

  await build({
    entryPoints: [path.join(src, 'src', 'main.tsx')],
    outfile: path.join(out, 'app.js'),
    tsconfig: path.join(src, 'tsconfig.json'),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: false,
    legalComments: 'eof', // keeps the licence notices of what is bundled (Preact's MIT)
    logLevel: 'warning',
  });
  await build({
    entryPoints: [path.join(src, 'app.css')],
    outfile: path.join(out, 'app.css'),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  await copyFile(path.join(src, 'index.html'), path.join(out, 'index.html'));

  const files: Record<string, { bytes: number; gzipBytes: number }> = {};
  let totalGzipBytes = 0;
  for (const name of ['app.js', 'app.css', 'index.html']) {
    const data = await readFile(path.join(out, name));
    const gzipBytes = gzipSync(data, { level: 9 }).length;
    files[name] = { bytes: data.length, gzipBytes };
    totalGzipBytes += gzipBytes;
  }
  await writeFile(path.join(out, 'sizes.json'), `${JSON.stringify({ files, totalGzipBytes }, null, 2)}\n`);

  const kb = (n: number): string => (n / 1024).toFixed(1);
  const parts = Object.entries(files).map(([name, f]) => `${name} ${kb(f.bytes)} KB (${kb(f.gzipBytes)} KB gzipped)`);
  console.log(`dashboard: ${parts.join(', ')}, total ${kb(totalGzipBytes)} KB gzipped`);

  if (totalGzipBytes > BUDGET_GZIP_BYTES) {
    console.error(
      `dashboard: ${kb(totalGzipBytes)} KB gzipped is over the ${kb(BUDGET_GZIP_BYTES)} KB budget; ` +
        'trim a dependency or a feature before raising it',
    );
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  // esbuild has already printed its diagnostics; say which step failed.
  console.error(`dashboard: build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
