import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHandlerModule } from '../../../worker/handler-module';

describe('loading a handlers module', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-handlers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, source: string): string {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  }

  it('takes the default export of an ES module', async () => {
    const handlers = await loadHandlerModule(write('h.mjs', 'export default { add: async ({ a, b }) => a + b };'));
    expect(Object.keys(handlers)).to.deep.equal(['add']);
    expect(await handlers.add!({ a: 1, b: 2 }, undefined as never)).to.equal(3);
  });

  it('takes module.exports of a CommonJS file', async () => {
    const handlers = await loadHandlerModule(write('h.cjs', 'module.exports = { ping: async () => "pong" };'));
    expect(Object.keys(handlers)).to.deep.equal(['ping']);
  });

  it('refuses an ES module without a default export, saying how to write one', async () => {
    const err = await loadHandlerModule(write('named.mjs', 'export const add = async () => 1;')).catch((e: unknown) => e);
    expect((err as Error).message).to.match(/named\.mjs has no default export; write export default \{ taskType: handler \}/);
  });

  it('names a handler that is not a function, a missing file, and a module that throws', async () => {
    const notFunction = await loadHandlerModule(write('bad.mjs', 'export default { add: 42 };')).catch((e: unknown) => e);
    expect((notFunction as Error).message).to.match(/handler "add" is a number, not a function/);
    const missing = await loadHandlerModule(join(dir, 'nope.mjs')).catch((e: unknown) => e);
    expect((missing as Error).message).to.match(/nope\.mjs does not exist/);
    const throws = await loadHandlerModule(write('throws.mjs', 'throw new Error("boom at import");')).catch((e: unknown) => e);
    expect((throws as Error).message).to.match(/cannot load handlers module .*throws\.mjs: boom at import/);
  });
});
