import { expect } from 'chai';
import { MemoryTaskStore } from '../../../coordinator/store/memory-store';
import { ConfigError } from '../../../shared/errors';
import { silentLogger } from '../../../shared/logger';
import { makeTask } from './store-fixtures';
import { describeTaskStoreContract } from './task-store-contract';

describe('MemoryTaskStore', () => {
  describeTaskStoreContract((options) => MemoryTaskStore.open({ logger: silentLogger(), ...options }));

  it('refuses out-of-range commit options, naming them', () => {
    expect(() => MemoryTaskStore.open({ logger: silentLogger(), commitIntervalMs: -1 })).to.throw(ConfigError, /commitIntervalMs/);
    expect(() => MemoryTaskStore.open({ logger: silentLogger(), commitMaxBatch: 0 })).to.throw(ConfigError, /commitMaxBatch/);
  });

  it('owns the bytes it stores: the payload passed to write may be reused afterwards', async () => {
    const store = MemoryTaskStore.open({ logger: silentLogger(), commitIntervalMs: 0 });
    try {
      const payload = Buffer.from('original');
      const task = makeTask({ payload });
      const write = store.write([{ kind: 'insertTask', task }]);
      payload.write('mutated!');
      await write;
      expect(store.getTask(task.id)?.payload.toString()).to.equal('original');
    } finally {
      await store.close();
    }
  });
});
