import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** What the page is told at serve time. */
export interface DashboardConfig {
  /** Where a task's trace is shown: a URL with {trace_id}. */
  readonly traceUrl?: string;
}

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly etag: string;
}

/** The page's policy: its own scripts, styles and API only; nothing inline, nothing from elsewhere. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const CONFIG_TAG = '<script id="baton-config" type="application/json">{}</script>';

/**
 * The dashboard's files, built at build time (scripts/build-dashboard.ts into dist/dashboard)
 * and read once at start-up: `/` (index.html with the config written in), `/assets/app.js`
 * and `/assets/app.css`, gzipped when the browser takes it, revalidated by ETag.
 */
export class DashboardFiles {
  private readonly assets: ReadonlyMap<string, Asset>;

  private constructor(assets: Map<string, Asset>) {
    this.assets = assets;
  }

  /** The built dashboard in `dir`, or undefined when it was not built there. */
  static load(dir: string, config: DashboardConfig): DashboardFiles | undefined {
    const files = { index: join(dir, 'index.html'), js: join(dir, 'app.js'), css: join(dir, 'app.css') };
    if (!Object.values(files).every((file) => existsSync(file))) return undefined;
    const html = readFileSync(files.index, 'utf8');
    if (!html.includes(CONFIG_TAG)) throw new Error(`${files.index} has no config tag ${CONFIG_TAG}`);
    // `<` escaped: a value can never close the script element it sits in.
    const configJson = JSON.stringify(config).replace(/</g, '\\u003c');
    const page = html.replace(CONFIG_TAG, CONFIG_TAG.replace('{}', configJson));
    return new DashboardFiles(
      new Map([
        ['/', asset('text/html; charset=utf-8', Buffer.from(page, 'utf8'))],
        ['/assets/app.js', asset('text/javascript; charset=utf-8', readFileSync(files.js))],
        ['/assets/app.css', asset('text/css; charset=utf-8', readFileSync(files.css))],
      ]),
    );
  }

  /** Serves `pathname` if it is one of the dashboard's; false otherwise (nothing written). */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const found = this.assets.get(pathname === '/index.html' ? '/' : pathname);
    if (!found) return false;
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': found.type, 'cache-control': 'no-cache', etag: found.etag, vary: 'accept-encoding' };
    if (req.headers['if-none-match'] === found.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? found.gzipped : found.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}

function asset(type: string, body: Buffer): Asset {
  return { type, body, gzipped: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Where the build puts the dashboard: dist/dashboard, beside dist/coordinator. */
export function builtDashboardDir(): string {
  // dist/coordinator/http -> dist/dashboard; from the sources (tsx), coordinator/http -> dist/dashboard.
  const fromDist = join(__dirname, '..', '..', 'dashboard');
  return existsSync(join(fromDist, 'app.js')) ? fromDist : join(__dirname, '..', '..', 'dist', 'dashboard');
}
