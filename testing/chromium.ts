/**
 * Headless Chromium for tests that must see a page as a browser renders it (scripts run, styles
 * applied). Asynchronous, so a server in the same process keeps answering while Chromium loads.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PNG } from 'pngjs';

const run = promisify(execFile);

export function findChromium(): string | undefined {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path));
}

export interface HeadlessOptions {
  /** Virtual time the page's scripts get before the DOM is dumped or the screenshot taken. */
  scriptTimeMs?: number;
  windowSize?: [number, number];
}

async function headless(chromium: string, url: string, extra: string[], options: HeadlessOptions): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const [width, height] = options.windowSize ?? [1280, 1600];
  try {
    const { stdout } = await run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        `--virtual-time-budget=${options.scriptTimeMs ?? 20_000}`,
        ...extra,
        url,
      ],
      { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM after the page's scripts ran. */
export function dumpDom(chromium: string, url: string, options: HeadlessOptions = {}): Promise<string> {
  return headless(chromium, url, ['--dump-dom'], options);
}

/** Writes a PNG screenshot of the page to `file`. */
export async function screenshot(chromium: string, url: string, file: string, options: HeadlessOptions = {}): Promise<void> {
  await headless(chromium, url, [`--screenshot=${file}`], options);
}

/** How many pixels of each colour (`#rrggbb`) a decoded screenshot has: charts and badges are checked by their fill. */
export function colourCounts(png: PNG): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < png.data.length; i += 4) {
    const hex = `#${[png.data[i], png.data[i + 1], png.data[i + 2]].map((c) => (c ?? 0).toString(16).padStart(2, '0')).join('')}`;
    counts.set(hex, (counts.get(hex) ?? 0) + 1);
  }
  return counts;
}
