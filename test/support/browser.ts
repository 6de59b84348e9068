import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from './processes';

/** Debian's Chromium, or the one BATON_CHROMIUM names: npm cannot download a browser here. */
export const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';

/** Where each browser test saves its screenshots, for review. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'browser');

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `no Chromium at ${CHROMIUM}: install Debian's chromium (make setup does, as root: apt-get install chromium) or set BATON_CHROMIUM`;
}

/** Headless Chromium with the flags this closed network needs (no background calls home). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Saves a full-page screenshot as test-output/browser/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Waits until the first element matching `selector` reads `expected` (trimmed text), checked
 * in the page on every animation frame; on timeout, fails saying what it read instead.
 */
export async function waitForText(page: Page, selector: string, expected: string | RegExp, timeoutMs = 15_000): Promise<void> {
  const want = typeof expected === 'string' ? { text: expected } : { pattern: expected.source, flags: expected.flags };
  try {
    await page.waitForFunction(
      ({ selector: sel, want: w }) => {
        // Runs in the page, where `document` exists; the test's own types do not know it.
        const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document;
        const text = doc.querySelector(sel)?.textContent?.trim();
        if (text === undefined) return false;
        return 'text' in w ? text === w.text : new RegExp(w.pattern, w.flags).test(text);
      },
      { selector, want },
      { timeout: timeoutMs },
    );
  } catch (err: unknown) {
    const seen = await page.locator(selector).first().textContent({ timeout: 100 }).catch(() => null);
    throw new Error(`${selector} did not come to read ${String(expected)} in ${timeoutMs}ms; it reads ${seen === null ? '(nothing: absent)' : JSON.stringify(seen.trim())}`, { cause: err });
  }
}

/** `[data-testid="ID"]`, as a selector. */
export function testId(id: string): string {
  return `[data-testid="${id}"]`;
}
