import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultsFor } from '../../../coordinator/api/task-defaults';
import { compileCoordinatorConfig } from '../../../coordinator/config';

describe('coordinator configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(content: unknown): string {
    const path = join(dir, 'baton.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  }

  it('layers defaults < file < environment < flags', () => {
    const configFile = file({ leaseTimeout: '20s', heartbeatInterval: '3s', listen: '0.0.0.0:9000' });
    const config = compileCoordinatorConfig({
      configFile,
      env: { BATON_LEASE_TIMEOUT: '30s', BATON_DATA: '/from/env' },
      flags: { leaseTimeout: '40s' },
    });
    expect(config.engine).to.deep.include({ heartbeatIntervalMs: 3000, leaseTimeoutMs: 40_000 });
    expect(config.listen).to.equal('0.0.0.0:9000');
    expect(config.dataDir).to.equal('/from/env');
    expect(config.http).to.equal('127.0.0.1:7071');
    expect(config.sync).to.equal('FULL');
  });

  it('names the setting and where it came from when a value is bad', () => {
    expect(() => compileCoordinatorConfig({ env: {}, flags: { leaseTimeout: 'soon' } })).to.throw('--lease-timeout: expected a duration');
    expect(() => compileCoordinatorConfig({ env: { BATON_SYNC: 'sometimes' }, flags: {} })).to.throw('BATON_SYNC: expected one of full, normal');
    expect(() => compileCoordinatorConfig({ configFile: file({ leaseTimout: '1s' }), env: {}, flags: {} })).to.throw(/leaseTimout: unknown setting/);
    expect(() => compileCoordinatorConfig({ env: {}, flags: { heartbeatInterval: '10s', leaseTimeout: '5s' } })).to.throw(/heartbeatInterval: 10000ms must be shorter than leaseTimeout/);
    expect(() => compileCoordinatorConfig({ env: {}, flags: { listen: 'nowhere' } })).to.throw('listen: expected host:port, got "nowhere"');
  });

  it('takes per-queue task defaults from the file, over the global ones', () => {
    const config = compileCoordinatorConfig({
      configFile: file({ defaultMaxAttempts: 4, queues: { mail: { timeout: '30s', maxAttempts: 7, retryJitter: 0, maxInfraFailures: 2 } } }),
      env: {},
      flags: {},
    });
    expect(defaultsFor(config.submit, 'mail')).to.deep.equal({
      maxAttempts: 7,
      timeoutMs: 30_000,
      retry: { initialMs: 1000, multiplier: 2, maxMs: 300_000, jitter: 0 },
      maxInfraFailures: 2,
    });
    expect(defaultsFor(config.submit, 'other').maxAttempts).to.equal(4);
    expect(defaultsFor(config.submit, 'other').maxInfraFailures).to.equal(null);
  });

  it('names the queue and key of a bad per-queue setting', () => {
    expect(() => compileCoordinatorConfig({ configFile: file({ queues: { mail: { timeout: 'later' } } }), env: {}, flags: {} })).to.throw(/queues\.mail\.timeout/);
    expect(() => compileCoordinatorConfig({ configFile: file({ queues: { mail: { retries: 3 } } }), env: {}, flags: {} })).to.throw(/queues\.mail\.retries: unknown queue setting/);
    expect(() => compileCoordinatorConfig({ configFile: file({ queues: { mail: { maxAttempts: 0 } } }), env: {}, flags: {} })).to.throw(/queues\.mail\.maxAttempts: must be a number between 1 and 1000/);
  });

  it('takes per-queue limits and retention from the file, and the global retention settings', () => {
    const config = compileCoordinatorConfig({
      configFile: file({
        retention: '2d',
        deadRetention: '10d',
        retentionSweepInterval: '5s',
        maxSchedules: 50,
        queues: { api: { concurrency: 2, rate: 20, burst: 5, weight: 3, paused: true, retention: '1h' }, mail: { maxAttempts: 7 } },
      }),
      env: {},
      flags: {},
    });
    expect(config.engine.queues?.get('api')).to.deep.equal({ concurrency: 2, ratePerSecond: 20, burst: 5, weight: 3, paused: true, retentionMs: 3_600_000 });
    expect(config.engine.queues?.has('mail')).to.equal(false); // task defaults only
    expect(config.engine.queueDefaults).to.deep.equal({ retentionMs: 2 * 86_400_000, deadRetentionMs: 10 * 86_400_000 });
    expect(config.engine.retention?.sweepIntervalMs).to.equal(5000);
    expect(config.engine.maxSchedules).to.equal(50);
  });

  it('names the queue and key of a bad per-queue limit', () => {
    const compile = (queues: unknown) => () => compileCoordinatorConfig({ configFile: file({ queues }), env: {}, flags: {} });
    expect(compile({ api: { rate: -1 } })).to.throw(/queues\.api\.rate: must be a number between 0 and 1000000/);
    expect(compile({ api: { weight: 0 } })).to.throw(/queues\.api\.weight: must be a number between 1 and 1000/);
    expect(compile({ api: { paused: 'yes' } })).to.throw(/queues\.api\.paused: must be true or false/);
    expect(compile({ api: { retention: 'forever' } })).to.throw(/queues\.api\.retention/);
    expect(compile({ api: { colour: 'red' } })).to.throw(/queues\.api\.colour: unknown queue setting/);
  });
});
