import type { HttpRouteSpec, HttpVerb } from '../../shared/http/api-schema';

/** A request matched to a route, with the request fields its path binds (by proto field path). */
export interface RouteMatch {
  readonly route: HttpRouteSpec;
  readonly bindings: ReadonlyMap<string, string>;
}

export type RouteLookup =
  | { readonly kind: 'found'; readonly match: RouteMatch }
  /** The path exists, but not for this method: these are the ones it takes. */
  | { readonly kind: 'wrong-method'; readonly allowed: readonly HttpVerb[] }
  | { readonly kind: 'unknown' };

interface CompiledRoute {
  readonly route: HttpRouteSpec;
  /** Literal segments as they are; `{field}` segments as the field path they bind. */
  readonly segments: readonly ({ readonly literal: string } | { readonly field: string })[];
  /** The custom verb after the last segment (`:cancel`), or empty. */
  readonly verb: string;
}

/**
 * The routes of the `google.api.http` annotations, compiled: `/v1/tasks/{id}:cancel` is the
 * literal `v1`, the literal `tasks`, a variable bound to the field `id` (one segment, no
 * slash), and the custom verb `cancel`. Literal routes win over variable ones, so
 * `/v1/tasks:batch` never reads as a task id.
 */
export class RouteTable {
  private readonly routes: readonly CompiledRoute[];

  constructor(routes: readonly HttpRouteSpec[]) {
    this.routes = routes.map(compile).sort((a, b) => variables(a) - variables(b));
  }

  lookup(verb: string, pathname: string): RouteLookup {
    const split = splitPath(pathname);
    if (!split) return { kind: 'unknown' };
    const allowed: HttpVerb[] = [];
    for (const compiled of this.routes) {
      const bindings = matchSegments(compiled, split.segments, split.verb);
      if (!bindings) continue;
      // HEAD is GET without the body, as everywhere on the web.
      if (compiled.route.verb === verb || (verb === 'HEAD' && compiled.route.verb === 'GET')) return { kind: 'found', match: { route: compiled.route, bindings } };
      if (!allowed.includes(compiled.route.verb)) allowed.push(compiled.route.verb);
    }
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'unknown' };
  }
}

/**
 * The route a REST habit meant, if any: `/v1/tasks/ID/cancel` for `/v1/tasks/ID:cancel`. For
 * the message of a 404, never for routing.
 */
export function colonSuggestion(table: RouteTable, verb: string, pathname: string): string | undefined {
  const lastSlash = pathname.lastIndexOf('/');
  if (lastSlash <= 0 || pathname.includes(':', lastSlash)) return undefined;
  const suggested = `${pathname.slice(0, lastSlash)}:${pathname.slice(lastSlash + 1)}`;
  const lookup = table.lookup(verb, suggested);
  if (lookup.kind === 'unknown') return undefined;
  return `${lookup.kind === 'found' ? verb : (lookup.allowed[0] ?? verb)} ${suggested}`;
}

function compile(route: HttpRouteSpec): CompiledRoute {
  const split = splitPath(route.path);
  if (!split) throw new Error(`${route.rpc}: cannot read the path template ${route.path}`);
  const segments = split.segments.map((segment) => {
    const variable = /^\{([a-z_][a-z0-9_.]*)\}$/.exec(segment);
    if (variable) return { field: variable[1] as string };
    if (segment.includes('{') || segment.includes('*')) throw new Error(`${route.rpc}: only whole-segment {field} variables are supported, not ${segment}`);
    return { literal: segment };
  });
  return { route, segments, verb: split.verb };
}

function variables(route: CompiledRoute): number {
  return route.segments.filter((segment) => 'field' in segment).length;
}

/** Segments of a path and its custom verb (`:name` after the last slash), percent-decoded; undefined if malformed. */
function splitPath(pathname: string): { segments: string[]; verb: string } | undefined {
  if (!pathname.startsWith('/')) return undefined;
  const lastSlash = pathname.lastIndexOf('/');
  const colon = pathname.indexOf(':', lastSlash);
  const path = colon < 0 ? pathname : pathname.slice(0, colon);
  const verb = colon < 0 ? '' : pathname.slice(colon + 1);
  try {
    return { segments: path.slice(1).split('/').map(decodeURIComponent), verb: decodeURIComponent(verb) };
  } catch {
    return undefined; // a malformed percent-escape
  }
}

function matchSegments(compiled: CompiledRoute, segments: readonly string[], verb: string): Map<string, string> | undefined {
  if (segments.length !== compiled.segments.length || verb !== compiled.verb) return undefined;
  const bindings = new Map<string, string>();
  for (let i = 0; i < segments.length; i += 1) {
    const expected = compiled.segments[i];
    const actual = segments[i] as string;
    if (!expected) return undefined;
    if ('literal' in expected) {
      if (expected.literal !== actual) return undefined;
    } else {
      if (actual === '') return undefined;
      bindings.set(expected.field, actual);
    }
  }
  return bindings;
}
