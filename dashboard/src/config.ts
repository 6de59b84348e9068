/** What the coordinator writes into index.html's #baton-config when it serves the page. */
export interface DashboardConfig {
  /** A URL with `{trace_id}` where a task's 32-hex trace id goes. */
  traceUrl?: string;
}

function read(): DashboardConfig {
  try {
    const el = document.getElementById('baton-config');
    const parsed: unknown = JSON.parse(el?.textContent || '{}');
    if (parsed && typeof parsed === 'object') {
      const traceUrl = (parsed as { traceUrl?: unknown }).traceUrl;
      return typeof traceUrl === 'string' && traceUrl ? { traceUrl } : {};
    }
  } catch {
    // A broken tag means no optional features, not a broken page.
  }
  return {};
}

export const config: DashboardConfig = read();

/** The trace link for a W3C traceparent (`00-<trace id>-<span id>-<flags>`), if configured. */
export function traceLink(traceparent: string | undefined): string | undefined {
  if (!config.traceUrl || !traceparent) return undefined;
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/i.exec(traceparent.trim());
  if (!m?.[1] || /^0+$/.test(m[1])) return undefined;
  const url = config.traceUrl.split('{trace_id}').join(m[1].toLowerCase());
  // Only web links: a config that slipped in a javascript: URL must not become clickable.
  return /^(https?:\/\/|\/)/i.test(url) ? url : undefined;
}
