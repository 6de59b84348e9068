import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, errorMessage } from '../shared/errors';
import type { Handler, HandlerMap } from './handler';

/**
 * Loads a handlers module (ES module or CommonJS) whose default export maps task type to
 * handler function.
 * @throws InvalidArgumentError naming the file and what is wrong with it.
 */
export async function loadHandlerModule(path: string): Promise<HandlerMap> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new InvalidArgumentError(`handlers module ${absolute} does not exist`);
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(absolute).href);
  } catch (err: unknown) {
    throw new InvalidArgumentError(`cannot load handlers module ${absolute}: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof loaded !== 'object' || loaded === null || !('default' in loaded)) {
    throw new InvalidArgumentError(`${absolute} has no default export; write export default { taskType: handler } (or module.exports = {...})`);
  }
  return checkHandlerMap(unwrapDefault(loaded), absolute);
}

/** ESM default, CommonJS module.exports, or a transpiled `exports.default`. */
function unwrapDefault(loaded: object): unknown {
  let value = (loaded as { default?: unknown }).default;
  if (value && typeof value === 'object' && 'default' in value && isPlainObject((value).default)) {
    value = (value).default;
  }
  return value;
}

/** @throws InvalidArgumentError when `value` is not a non-empty map of functions. */
export function checkHandlerMap(value: unknown, source: string): HandlerMap {
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(`${source}: the default export must be an object mapping task type to handler function`);
  }
  const entries = Object.entries(value).filter(([key]) => key !== '__esModule');
  if (entries.length === 0) throw new InvalidArgumentError(`${source}: the default export has no handlers`);
  const handlers: Record<string, Handler> = {};
  for (const [type, handler] of entries) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`${source}: handler "${type}" is a ${typeof handler}, not a function`);
    }
    handlers[type] = handler as Handler;
  }
  return handlers;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
