// Frame times of the stored trace in Chromium (`npm run bench:frames [-- --loads 5 --steps 40]`;
// needs `npm run build` and Debian's Chromium, as the e2e tests do).
//
// A 10 M-sample PPK2-like session (100 kS/s for 100 s, 400 chunks of 25 000 samples with D0–D7,
// written through SessionsRepo.insertChunk like a recording) in a temporary database, served by
// `ddi-profiler serve` (the build) in its own process. Two loads:
//   bursts  1 mA floor, 20 mA bursts of 2 ms every 100 ms (a radio-like load);
//   square  a 1 kHz square wave between 1 and 20 mA (the densest picture per pixel column).
// Measured in the page:
//   first view: performance.now() (ms since navigation start) when the plot first marks data drawn
//               (data-drawn on the trace's plot element), over --loads fresh navigations;
//   frames:     requestAnimationFrame deltas while --steps drag-zooms run (each halves the view
//               around its middle; after 9 a double-click shows the whole session again), and each
//               step's time from mouse-up to the new data drawn.
//   gestures:   the same deltas while the wheel zooms in and out (60 notches, 50 ms apart) and while
//               four pan-mode drags move a tenth of the session across half the plot.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { openDatabase } from '../main/store/database';
import { SessionsRepo } from '../main/store/sessions-repo';
import { startServe } from '../tests/e2e/harness';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const LOADS = arg('--loads', 5);
const STEPS = arg('--steps', 40);
/** --screenshot PATH: a PNG of each session page after its first view (PATH-<id>.png). */
const SHOT = process.argv.includes('--screenshot') ? process.argv[process.argv.indexOf('--screenshot') + 1] : undefined;
const CHROMIUM = process.env.DDI_CHROMIUM ?? '/usr/bin/chromium';
const RATE = 100_000;
const COUNT = 25_000;
const CHUNKS = 400;

type Shape = 'bursts' | 'square';

function seed(repo: SessionsRepo, shape: Shape): number {
  const id = repo.createSession({
    name: `frames: ${shape}`,
    kind: 'power',
    startMonoNs: 0,
    meterId: null,
    simulated: false,
    channels: ['current'],
    sampleRateHz: RATE,
    nominalVoltageV: 3.3,
  });
  const periodNs = 1e9 / RATE;
  const plane = new Float32Array(COUNT);
  const digital = new Uint8Array(COUNT);
  let s = 1;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  repo.transaction(() => {
    for (let k = 0; k < CHUNKS; k++) {
      for (let i = 0; i < COUNT; i++) {
        const n = k * COUNT + i;
        const high = shape === 'bursts' ? n % 10_000 < 200 : n % 100 < 50;
        plane[i] = (high ? 20e-3 : 1e-3) + 50e-6 * rnd();
        digital[i] = high ? 1 : 0;
      }
      repo.insertChunk(id, k, k * COUNT * periodNs, { periodNs, count: COUNT, channels: ['current'], data: [plane], digital });
    }
    repo.finishSession(id, 'complete', (CHUNKS * COUNT) / RATE);
  });
  return id;
}

/** Records the time the plot first marks data drawn, and every animation frame's delta once asked. */
const PAGE_PROBE = `
  window.__firstDrawnMs = null;
  new MutationObserver((_, obs) => {
    const el = document.querySelector('[data-testid="trace-chart"][data-drawn]');
    if (el && window.__firstDrawnMs === null) { window.__firstDrawnMs = performance.now(); obs.disconnect(); }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-drawn'] });
  // Every API call of the page over the browser-mode WebSocket: name, sent and answered (ms since
  // navigation start), so a first view can be split into bundle, calls and drawing.
  window.__calls = [];
  window.__wsOpenMs = null;
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...a) {
      super(...a);
      this.addEventListener('open', () => { if (window.__wsOpenMs === null) window.__wsOpenMs = performance.now(); });
      this.addEventListener('message', (e) => {
        try {
          const m = JSON.parse(e.data);
          const c = m.type === 'result' && window.__calls.find((x) => x.id === m.id && x.doneMs === null);
          if (c) c.doneMs = performance.now();
        } catch {}
      });
    }
    send(data) {
      try {
        const m = JSON.parse(data);
        if (m.type === 'call') window.__calls.push({ id: m.id, name: m.name, sentMs: performance.now(), doneMs: null });
      } catch {}
      return super.send(data);
    }
  };
  window.__frames = null;
  window.__startFrames = () => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { if (window.__frames === null) return; window.__frames.push([t, t - last]); last = t; requestAnimationFrame(tick); };
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
  };
  window.__stopFrames = () => { const f = window.__frames; window.__frames = null; return f; };
`;

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number): string => x.toFixed(1);

async function drawnCount(page: Page): Promise<number> {
  return Number((await page.getByTestId('trace-chart').getAttribute('data-drawn')) ?? 0);
}

async function waitDrawnAfter(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="trace-chart"]')?.getAttribute('data-drawn') ?? 0) > n, before, {
    polling: 'raf',
    timeout: 30_000,
  });
}

interface Measured {
  /** Frame deltas while the wheel zooms in and out (30 + 30 notches) and while a pan-mode drag moves the view (4 sweeps). */
  wheel: number[];
  pan: number[];
  first: number[];
  /** Where the last load's first view went: bundle, socket, each call, drawing. */
  breakdown: string;
  frames: number[];
  zoomMs: number[];
  /** Frames over 50 ms, with the view width of the step they fell in. */
  longAt: string[];
}

async function measure(page: Page, url: string): Promise<Measured> {
  const first: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __firstDrawnMs: number | null }).__firstDrawnMs !== null, undefined, { timeout: 30_000 });
    first.push(await page.evaluate(() => (window as unknown as { __firstDrawnMs: number }).__firstDrawnMs));
  }
  const breakdown = await page.evaluate(() => {
    const w = window as unknown as {
      __firstDrawnMs: number;
      __wsOpenMs: number | null;
      __calls: { name: string; sentMs: number; doneMs: number | null }[];
    };
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const scripts = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((r) => /\.(js|css)$/.test(r.name));
    const f = (x: number): string => x.toFixed(0);
    const parts = [
      `HTML ${nav ? f(nav.responseEnd) : '?'}`,
      `bundle loaded ${f(Math.max(...scripts.map((r) => r.responseEnd)))}`,
      `DOMContentLoaded ${nav ? f(nav.domContentLoadedEventEnd) : '?'}`,
      `socket open ${w.__wsOpenMs === null ? '?' : f(w.__wsOpenMs)}`,
      ...w.__calls.filter((c) => c.sentMs < w.__firstDrawnMs).map((c) => `${c.name} ${f(c.sentMs)}→${c.doneMs === null ? '…' : f(c.doneMs)}`),
      `drawn ${f(w.__firstDrawnMs)}`,
    ];
    return parts.join(', ');
  });
  if (SHOT) await page.screenshot({ path: SHOT.replace(/(\.png)?$/, `-${url.split('/').pop()}.png`), fullPage: true });
  const over = page.getByTestId('trace-chart').locator('.u-over');
  const box = (await over.boundingBox())!;
  const y = box.y + box.height / 2;
  const zoomMs: number[] = [];
  const steps: { at: number; widthS: number }[] = [];
  await page.evaluate(() => (window as unknown as { __startFrames: () => void }).__startFrames());
  for (let step = 0; step < STEPS; step++) {
    const before = await drawnCount(page);
    const t0 = Date.now();
    steps.push({ at: await page.evaluate(() => performance.now()), widthS: step % 10 === 9 ? 100 : 100 / 2 ** ((step % 10) + 1) });
    if (step % 10 === 9) {
      await page.mouse.dblclick(box.x + box.width / 2, y);
    } else {
      await page.mouse.move(box.x + box.width * 0.25, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.75, y, { steps: 5 });
      await page.mouse.up();
    }
    await waitDrawnAfter(page, before);
    zoomMs.push(Date.now() - t0);
  }
  const timed = await page.evaluate(() => (window as unknown as { __stopFrames: () => [number, number][] }).__stopFrames());
  const longAt = timed
    .filter(([, d]) => d > 50)
    .map(([t, d]) => {
      const s = [...steps].reverse().find((x) => x.at <= t - d);
      return `${d.toFixed(0)} ms ${s ? `(→ ${+s.widthS.toPrecision(3)} s view)` : '(before the first step)'}`;
    });
  // Wheel: 30 notches in about a point a third across, then 30 out, one every 50 ms (a quick scroll).
  await page.mouse.move(box.x + box.width / 3, y);
  await page.evaluate(() => (window as unknown as { __startFrames: () => void }).__startFrames());
  for (const dy of [-100, 100]) {
    for (let k = 0; k < 30; k++) {
      await page.mouse.wheel(0, dy);
      await page.waitForTimeout(50);
    }
  }
  await page.waitForTimeout(500);
  const wheel = (await page.evaluate(() => (window as unknown as { __stopFrames: () => [number, number][] }).__stopFrames())).map(([, d]) => d);
  // Pan: zoom to a tenth of the session with the wheel, then four drags in pan mode across half the plot.
  for (let k = 0; k < 9; k++) await page.mouse.wheel(0, -100);
  await page.waitForTimeout(500);
  await page.getByTestId('drag-pan').click();
  await page.evaluate(() => (window as unknown as { __startFrames: () => void }).__startFrames());
  for (const [a, b] of [
    [0.75, 0.25],
    [0.75, 0.25],
    [0.25, 0.75],
    [0.25, 0.75],
  ] as const) {
    await page.mouse.move(box.x + box.width * a, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * b, y, { steps: 30 });
    await page.mouse.up();
    await page.waitForTimeout(300);
  }
  const pan = (await page.evaluate(() => (window as unknown as { __stopFrames: () => [number, number][] }).__stopFrames())).map(([, d]) => d);
  await page.getByTestId('drag-zoom').click();
  return { first, breakdown, frames: timed.map(([, d]) => d), zoomMs, longAt, wheel, pan };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-bench-frames-'));
  const profile = mkdtempSync(join(tmpdir(), 'ddi-bench-frames-profile-'));
  const dbPath = join(dir, 'frames.sqlite');
  try {
    const t = performance.now();
    const db = openDatabase(dbPath);
    const repo = new SessionsRepo(db);
    const ids = { bursts: seed(repo, 'bursts'), square: seed(repo, 'square') };
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    console.log(`Seeded two sessions of ${(CHUNKS * COUNT) / 1e6} M samples in ${((performance.now() - t) / 1e3).toFixed(1)} s.`);

    // The real `ddi-profiler serve` in its own process, as a user runs it: in this process, the
    // benchmark's own CDP traffic with Chromium shared the server's event loop.
    const server = await startServe(dbPath);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      viewport: { width: 1360, height: 900 },
      deviceScaleFactor: 1,
    });
    try {
      const page = await context.newPage();
      await page.addInitScript(PAGE_PROBE);
      console.log(
        `Machine: ${cpus().length}× ${cpus()[0]?.model.trim()}, Node ${process.version}, Chromium ${context.browser()?.version() ?? '(persistent context)'}. Date: ${new Date().toISOString().slice(0, 19)}Z. Load average at start: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(', ')}.\n`,
      );
      console.log(
        `| Load | First view (ms from navigation): each of ${LOADS} loads | Frames | p50 | p95 | max | > 50 ms | Zoom step to drawn: p50 / max (ms) |`,
      );
      console.log('|---|---|---|---|---|---|---|---|');
      const longs: string[] = [];
      const breakdowns: string[] = [];
      const gestures: string[] = [];
      for (const shape of ['bursts', 'square'] as const) {
        const m = await measure(page, `${server.url}#/sessions/${ids[shape]}`);
        longs.push(`- ${shape}: ${m.longAt.join(', ') || 'none'}`);
        breakdowns.push(`- ${shape} (last load, ms from navigation): ${m.breakdown}`);
        const over = m.frames.filter((f) => f > 50).length;
        console.log(
          `| ${shape} | ${m.first.map((x) => x.toFixed(0)).join(', ')} | ${m.frames.length} | ${ms(pct(m.frames, 50))} | ${ms(pct(m.frames, 95))} | ${ms(Math.max(...m.frames))} | ${over} | ${pct(m.zoomMs, 50)} / ${Math.max(...m.zoomMs)} |`,
        );
        for (const [what, f] of [
          ['wheel zoom', m.wheel],
          ['drag pan', m.pan],
        ] as const) {
          gestures.push(
            `| ${shape} | ${what} | ${f.length} | ${ms(pct(f, 50))} | ${ms(pct(f, 95))} | ${ms(Math.max(...f))} | ${f.filter((x) => x > 50).length} |`,
          );
        }
      }
      console.log(`\n| Load | Gesture | Frames | p50 | p95 | max | > 50 ms |\n|---|---|---|---|---|---|---|\n${gestures.join('\n')}`);
      console.log(`\nFirst view, where the time went:\n${breakdowns.join('\n')}`);
      console.log(`\nFrames over 50 ms (and the view the step drew):\n${longs.join('\n')}`);
      console.log(
        `\nLoad average at end: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(', ')}.`,
      );
    } finally {
      await context.close();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
