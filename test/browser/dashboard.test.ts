import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TaskState, type BatonClient } from '../../client/index';
import { browserMissing, launchChromium, screenshot, testId, waitForText } from '../support/browser';
import { HttpApi } from '../support/http-api';
import { pollUntil } from '../support/poll';
import { startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { writeTokensFile } from '../support/security-fixtures';
import { useTestProcesses } from '../support/test-processes';

/** Served by the worker from the start. */
const RUN_QUEUE = 'web';
/** Served by nobody until the depth test starts a worker for it. */
const DEPTH_QUEUE = 'reports';
const TRACE_URL = 'http://tracing.example:16686/trace/{trace_id}';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

/** Skips the suite, saying why, when there is no browser to drive. */
function requireBrowser(suite: Mocha.Context): void {
  const missing = browserMissing();
  if (missing) {
    console.log(`      browser tests skipped: ${missing}`);
    suite.skip();
  }
}

/** Confirms the open confirmation dialog. */
async function confirm(page: Page): Promise<void> {
  await page.locator(testId('confirm-dialog')).waitFor({ state: 'visible' });
  await page.locator(testId('confirm-ok')).click();
}

describe('dashboard in headless Chromium', function () {
  this.timeout(90_000);
  const processes = useTestProcesses();
  const { group } = processes;
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let api: HttpApi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  before(async function () {
    requireBrowser(this);
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--trace-url', TRACE_URL, '--retry-initial-backoff', '50ms', '--retry-max-backoff', '50ms'] });
    await startWorker(group, coordinator.address, { concurrency: 4, args: ['--queue', RUN_QUEUE, '--worker-id', 'web-worker'] });
    client = processes.client(coordinator.address);
    base = `http://127.0.0.1:${coordinator.httpPort}`;
    api = new HttpApi(base);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
  });

  it('overview: a queue\'s depth changes as its tasks run, with the chart and the workers\' slots', async () => {
    await client.submitMany(Array.from({ length: 3 }, (_, n) => ({ type: 'noop', payload: { n }, options: { queue: DEPTH_QUEUE } })));
    await page.goto(`${base}/#/`);
    await waitForText(page, testId('live-status'), /live/i);
    const card = testId(`queue-card-${DEPTH_QUEUE}`);
    await waitForText(page, `${card} ${testId('count-queued')}`, '3');
    await waitForText(page, `${card} ${testId('count-succeeded')}`, '0');
    await waitForText(page, `${testId('worker-row-web-worker')} ${testId('worker-slots')}`, '0/4');
    await screenshot(page, 'overview-backlog');
    await startWorker(group, coordinator.address, { concurrency: 2, args: ['--queue', DEPTH_QUEUE, '--worker-id', 'reports-worker'] });
    // The page hears of it over its one stats stream: no reload.
    await waitForText(page, `${card} ${testId('count-queued')}`, '0');
    await waitForText(page, `${card} ${testId('count-succeeded')}`, '3');
    expect(await page.locator(`${card} ${testId('queue-chart')}`).count()).to.equal(1);
    await screenshot(page, 'overview');
  });

  it('a failed task\'s page shows its attempts, their errors, its payload and a link to its trace', async () => {
    const submitted = await api.post('/v1/tasks', {
      queue: RUN_QUEUE,
      type: 'alwaysFail',
      payload: { message: 'the mail server said no' },
      maxAttempts: 2,
      traceContext: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
    });
    const id = (submitted.json as { task: { id: string } }).task.id;
    const dead = await client.wait(id);
    expect(dead.state).to.equal(TaskState.TASK_STATE_DEAD);
    await page.goto(`${base}/#/tasks/${id}`);
    await waitForText(page, testId('task-state'), 'DEAD');
    await waitForText(page, `${testId('attempt-row-1')} ${testId('attempt-outcome')}`, 'FAILED');
    await waitForText(page, `${testId('attempt-row-2')} ${testId('attempt-outcome')}`, 'FAILED');
    await waitForText(page, `${testId('attempt-row-2')} ${testId('attempt-error')}`, 'the mail server said no');
    await waitForText(page, testId('task-error'), 'the mail server said no');
    expect(await page.locator(testId('task-payload')).textContent()).to.include('the mail server said no');
    expect(await page.locator(testId('trace-link')).getAttribute('href')).to.equal(TRACE_URL.replace('{trace_id}', TRACE_ID));
    expect(await page.locator(testId('action-retry')).count()).to.equal(1);
    expect(await page.locator(testId('action-cancel')).count()).to.equal(0);
    await screenshot(page, 'task-dead');
  });

  it('cancel on a running task\'s page cancels it, after a confirmation', async () => {
    const { task } = await client.submit('hang', {}, { queue: RUN_QUEUE });
    await pollUntil(() => client.get(task.id), (t) => t.state === TaskState.TASK_STATE_RUNNING, 'the task runs');
    await page.goto(`${base}/#/tasks/${task.id}`);
    await waitForText(page, testId('task-state'), 'RUNNING');
    await page.locator(testId('action-cancel')).click();
    await page.locator(testId('confirm-dialog')).waitFor({ state: 'visible' });
    await screenshot(page, 'task-cancel-confirm');
    // Saying no changes nothing.
    await page.locator(testId('confirm-cancel')).click();
    expect((await client.get(task.id)).state).to.equal(TaskState.TASK_STATE_RUNNING);
    await page.locator(testId('action-cancel')).click();
    await confirm(page);
    await waitForText(page, testId('task-state'), 'CANCELED');
    const canceled = await client.get(task.id);
    expect(canceled.state).to.equal(TaskState.TASK_STATE_CANCELED);
    await waitForText(page, `${testId('attempt-row-1')} ${testId('attempt-outcome')}`, 'CANCELED');
    await screenshot(page, 'task-canceled');
  });

  it('tasks: filters by state and pages through the list', async () => {
    await client.submitMany(Array.from({ length: 5 }, (_, n) => ({ type: 'later', payload: { n }, options: { queue: 'paging', delay: '1h' } })));
    await page.goto(`${base}/#/tasks?queue=paging&state=TASK_STATE_SCHEDULED`);
    await page.locator(`[data-testid^="task-row-"]`).first().waitFor();
    const rows = await page.locator(`[data-testid^="task-row-"]`).count();
    expect(rows).to.equal(5);
    await page.locator(testId('filter-state')).selectOption({ label: 'DEAD' }).catch(async () => page.locator(testId('filter-state')).selectOption('TASK_STATE_DEAD'));
    await page.locator(testId('filter-queue')).fill(RUN_QUEUE);
    await page.locator(testId('filter-apply')).click();
    await waitForText(page, `[data-testid^="task-row-"] ${testId('task-state')}`, 'DEAD');
    await screenshot(page, 'tasks');
  });

  it('queues: pause and resume a queue, each after a confirmation', async () => {
    await client.submit('noop', {}, { queue: 'billing' });
    await page.goto(`${base}/#/queues`);
    await page.locator(testId('action-pause-billing')).click();
    await confirm(page);
    await pollUntil(() => client.queues.get('billing'), (q) => q.settings?.paused === true, 'billing paused');
    await page.locator(testId('queue-paused-billing')).waitFor();
    await screenshot(page, 'queues');
    // The overview says so too, on the queue's card.
    await page.goto(`${base}/#/`);
    await waitForText(page, `${testId('queue-card-billing')} ${testId('queue-card-paused')}`, 'paused');
    await page.goto(`${base}/#/queues`);
    await page.locator(testId('action-resume-billing')).click();
    await confirm(page);
    await pollUntil(() => client.queues.get('billing'), (q) => q.settings?.paused !== true, 'billing resumed');
  });

  it('schedules: trigger one now, after a confirmation', async () => {
    await client.schedules.create('nightly-report', { cron: '0 3 * * *', timezone: 'Europe/Berlin', task: { queue: 'paging', type: 'report', payload: { full: true } } });
    await page.goto(`${base}/#/schedules`);
    await page.locator(testId('action-trigger-nightly-report')).click();
    await confirm(page);
    const fired = await pollUntil(() => client.list({ schedule: 'nightly-report' }), (p) => p.tasks.length === 1, 'a task from the trigger');
    expect(fired.tasks[0]?.type).to.equal('report');
    await screenshot(page, 'schedules');
  });

  it('fits a phone screen: no page-wide horizontal scrolling', async () => {
    const phone = await context.browser()!.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    try {
      const small = await phone.newPage();
      for (const [route, name] of [['#/', 'phone-overview'], ['#/tasks', 'phone-tasks'], ['#/queues', 'phone-queues']] as const) {
        await small.goto(`${base}/${route}`);
        await waitForText(small, testId('live-status'), /live/i);
        const overflow = await small.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect(overflow, `${route} overflows the screen by ${String(overflow)}px`).to.be.at.most(0);
        await screenshot(small, name);
      }
    } finally {
      await phone.close();
    }
  });
});

describe('dashboard with tokens', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  const { group } = processes;
  let browser: Browser;

  before(function () {
    requireBrowser(this);
  });

  after(async () => {
    await browser?.close();
  });

  it('asks for a token, and refuses an action that needs the admin role to a client token', async () => {
    const dir = group.tempDir();
    const tokens = writeTokensFile(dir, [
      { name: 'ops', role: 'admin', token: 'dash-admin-token-0123456789abcdef' },
      { name: 'app', role: 'client', token: 'dash-client-token-0123456789abcd' },
    ]);
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: ['--tokens', tokens] });
    const base = `http://127.0.0.1:${coordinator.httpPort}`;
    const admin = new HttpApi(base, 'dash-admin-token-0123456789abcdef');
    expect((await admin.post('/v1/tasks', { queue: 'billing', type: 'invoice' })).status).to.equal(200);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: DESKTOP });

    await page.goto(`${base}/#/queues`);
    await page.locator(testId('signin-token')).waitFor();
    await screenshot(page, 'signin');
    await page.locator(testId('signin-token')).fill('dash-client-token-0123456789abcd');
    await page.locator(testId('signin-submit')).click();
    await page.locator(testId('action-pause-billing')).click();
    await confirm(page);
    await waitForText(page, testId('toast'), /admin/i);
    expect(await admin.get('/v1/queues/billing').then((r) => (r.json as { queue: { settings: { paused?: boolean } } }).queue.settings.paused)).to.equal(undefined);
    await screenshot(page, 'action-refused');
  });
});
