/**
 * How a task's payload or result is shown. proto3 JSON of Baton's HTTP API carries a JSON
 * body as the JSON value itself and any other content type as base64.
 */
export type BodyView =
  | { kind: 'empty' }
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string; contentType: string }
  | { kind: 'binary'; bytes: number; contentType: string };

/** Exactly the coordinator's rule (shared/payload.ts): no content type, or `application/json` as written. */
export function isJsonType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType === '' || contentType === 'application/json';
}

export function viewBody(value: unknown, contentType: string | undefined): BodyView {
  if (value === undefined || value === null || value === '') {
    // proto3 JSON omits empty bytes; a JSON `null` payload arrives as null, shown as such.
    if (value === null && isJsonType(contentType)) return { kind: 'json', text: 'null' };
    return { kind: 'empty' };
  }
  if (isJsonType(contentType)) return { kind: 'json', text: JSON.stringify(value, null, 2) };
  const type = contentType || 'application/octet-stream';
  if (typeof value !== 'string') return { kind: 'json', text: JSON.stringify(value, null, 2) };
  const bytes = decodeBase64(value);
  if (!bytes) return { kind: 'binary', bytes: Math.floor((value.length * 3) / 4), contentType: type };
  if (/^text\//i.test(type)) {
    try {
      return { kind: 'text', text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), contentType: type };
    } catch {
      // Not UTF-8 after all: fall through to the byte count.
    }
  }
  return { kind: 'binary', bytes: bytes.length, contentType: type };
}

function decodeBase64(s: string): Uint8Array | undefined {
  try {
    const bin = atob(s.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/'));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
