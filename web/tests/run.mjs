// Headless-Chromium tests of the playground, run by crates/nca-cli/tests/web.rs:
//   node web/tests/run.mjs URL OUT_DIR SHOTS_DIR
// URL is a running `nca serve`; OUT_DIR receives states.json (the page's states after N ticks
// with seed S, for the Rust side to compare with the native engine), refine-input.png and
// web-metrics.json; SHOTS_DIR the panel screenshots web-*.png. Exits 1 when a check fails.
import { chromium } from 'playwright-core';
import { mkdtempSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, out, shots] = process.argv.slice(2);
if (!url || !out || !shots) {
  console.error('usage: node run.mjs URL OUT_DIR SHOTS_DIR');
  process.exit(2);
}
const failures = [];
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const profile = mkdtempSync(join(tmpdir(), 'nca-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1180, height: 860 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const metrics = {};
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const dbg = (f, arg) => page.evaluate(f, arg);
  // Frames and ticks (generations for life) per second of the playing panel `id`, over 2 s.
  const rates = async (id) => {
    const probe = () => dbg((p) => [window.ncaDebug.frames(p), window.ncaDebug.ticks(p), performance.now()], id);
    await sleep(300);
    const f0 = await probe();
    await sleep(2000);
    const f1 = await probe();
    return [(f1[0] - f0[0]) * 1000 / (f1[2] - f0[2]), (f1[1] - f0[1]) * 1000 / (f1[2] - f0[2])];
  };

  // ---- load
  const t0 = Date.now();
  await page.goto(url);
  const ready = await page.evaluate(() => window.ncaDebug.ready);
  check(ready === true, 'the page loads its engine and models');
  Object.assign(metrics, await dbg(() => ({ ...window.ncaDebug.metrics })));
  metrics.page_ready_wall_ms = Date.now() - t0;
  metrics.wasm_bytes = await dbg(() => {
    const e = performance.getEntriesByType('resource').find((r) => r.name.endsWith('nca_web.wasm'));
    return e ? e.decodedBodySize : null;
  });
  check(metrics.first_frame_ms !== null && metrics.first_frame_ms < 1000,
    `first frame in < 1 s (${metrics.first_frame_ms?.toFixed(0)} ms after navigation)`);

  // ---- equivalence hooks: states after N ticks with seed S
  const digits = await dbg(() => window.ncaDebug.digits());
  // The embedded test digits come with every site, so "load a test digit" always works.
  check(digits.length === 30 && digits.every((d) => d.pixels.length === 784),
    `30 test digits embedded (${digits.length})`);
  check(await page.evaluate(() => !document.querySelector('#panel-classify button[data-act="digit"]').disabled),
    'the classify panel\'s "load a test digit" is enabled');
  let pixels = digits.length ? digits[0].pixels : null;
  if (!pixels) { pixels = new Array(784).fill(0); for (let y = 4; y < 24; y++) { pixels[y * 28 + 13] = 1; pixels[y * 28 + 14] = 0.6; } }
  const states = {};
  await dbg(() => window.ncaDebug.setPlaying('classify', false));
  states.classify = { pixels, seed: 7, ticks: 50, state: await dbg(([p]) => window.ncaDebug.classify.run(p, 7, 50), [pixels]) };
  await dbg(() => { window.ncaDebug.showTab('grow'); window.ncaDebug.setPlaying('grow', false); });
  states.grow = { seed: 3, ticks: 60, state: await dbg(() => window.ncaDebug.grow.run(3, 60)) };

  // ---- classify: a scripted "1"
  await dbg(() => window.ncaDebug.showTab('classify'));
  await page.click('#panel-classify button[data-act="reset"]');
  const cv = await page.locator('#classify-canvas').boundingBox();
  const at = (x, y) => [cv.x + x / 28 * cv.width, cv.y + y / 28 * cv.height];
  await page.mouse.move(...at(15.2, 4.5));
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(...at(15.2 - 1.6 * i / 20, 4.5 + 19 * i / 20));
  await page.mouse.up();
  const counts = await dbg(() => window.ncaDebug.classify.advance(100));
  const share1 = counts.map((c) => (c[10] ? c[1] / c[10] : 0));
  metrics.classify_share_1_at_100 = share1[99];
  metrics.classify_first_tick_majority_1 = share1.findIndex((s) => s > 0.5) + 1 || null;
  check(counts[99][10] > 20, `the stroke made alive cells (${counts[99][10]})`);
  check(share1[99] > 0.5, `a drawn "1" is classified 1 by most cells within 100 ticks (${(share1[99] * 100).toFixed(0)}% at tick 100)`);
  await page.locator('#panel-classify').screenshot({ path: join(shots, 'web-classify.png') });
  // frames per second while playing
  await dbg(() => window.ncaDebug.setPlaying('classify', true));
  [metrics.classify_fps, metrics.classify_ticks_per_s] = await rates('classify');
  check(metrics.classify_fps >= 30, `the classify panel runs at >= 30 frames/s (${metrics.classify_fps.toFixed(1)})`);
  await dbg(() => window.ncaDebug.setPlaying('classify', false));
  metrics.classify_engine_ms_per_tick = await dbg(() => window.ncaDebug.classify.bench(200));

  // ---- grow: seed by a click, grow, cut by a drag, regrow
  await dbg(() => { window.ncaDebug.showTab('grow'); window.ncaDebug.setPlaying('grow', false); });
  await page.click('#panel-grow button[data-act="reset"]');
  const side = await dbg(() => window.ncaDebug.grow.side());
  const gv = await page.locator('#grow-canvas').boundingBox();
  const gat = (x, y) => [gv.x + x / side * gv.width, gv.y + y / side * gv.height];
  await page.mouse.click(...gat(side / 2 + 0.5, side / 2 + 0.5));
  const uncut = await dbg(() => window.ncaDebug.grow.advance(200));
  // Pixel difference: pixels whose colour differs visibly (by more than 40 of 255 in a channel).
  const diff = (a, b) => { let n = 0; for (let i = 0; i < a.length; i += 4) if (Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2])) > 40) n++; return n; };
  // and the summed absolute RGB difference, reported.
  const l1 = (a, b) => { let n = 0; for (let i = 0; i < a.length; i += 4) n += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]); return n; };
  await page.check('input[name="grow-tool"][value="cut"]');
  await page.fill('#grow-radius', '8');
  // Drag a short cut across the tail (lower right).
  await page.mouse.move(...gat(side * 0.6, side * 0.66));
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(...gat(side * (0.6 + 0.06 * i / 5), side * (0.66 + 0.06 * i / 5)));
  await page.mouse.up();
  const cut = diff(uncut, await dbg(() => window.ncaDebug.grow.rgba()));
  let regrown = null, last = cut;
  const curve = [];
  for (let t = 10; t <= 200; t += 10) {
    const now = await dbg(() => window.ncaDebug.grow.advance(10));
    last = diff(uncut, now);
    curve.push([t, last, l1(uncut, now)]);
    if (t === 30) await page.locator('#panel-grow').screenshot({ path: join(shots, 'web-grow.png') });
    if (regrown === null && last < 0.1 * cut) regrown = t;
    if (regrown !== null && t >= 30) break;
  }
  metrics.grow_cut_difference = cut;
  console.log(`regrowth (tick, pixels off by > 40, summed |RGB| difference): ${JSON.stringify(curve)}`);
  metrics.grow_regrow_ticks = regrown;
  check(cut > 100, `the drag cut the lizard (${cut} pixels differ)`);
  check(regrown !== null, `the cut regrows within 200 ticks (${last} pixels differ < 10% of the cut's ${cut}, after ${regrown} ticks)`);
  await dbg(() => window.ncaDebug.setPlaying('grow', true));
  [metrics.grow_fps, metrics.grow_ticks_per_s] = await rates('grow');
  await dbg(() => window.ncaDebug.setPlaying('grow', false));
  metrics.grow_engine_ms_per_tick = await dbg(() => window.ncaDebug.grow.bench(100));

  // ---- refine: a scripted "7"
  await dbg(() => window.ncaDebug.showTab('refine'));
  await page.click('#panel-refine button[data-act="clear"]');
  const rv = await page.locator('#refine-draw').boundingBox();
  const rat = (x, y) => [rv.x + x / 280 * rv.width, rv.y + y / 280 * rv.height];
  const stroke = async (pts) => {
    await page.mouse.move(...rat(...pts[0]));
    await page.mouse.down();
    for (const p of pts.slice(1)) await page.mouse.move(...rat(...p), { steps: 8 });
    await page.mouse.up();
  };
  await stroke([[70, 60], [140, 58], [210, 60], [165, 145], [125, 235]]);
  const verdict = await dbg(() => window.ncaDebug.refine.verdict());
  const png = await dbg(() => window.ncaDebug.refine.drawingPng());
  writeFileSync(join(out, 'refine-input.png'), Buffer.from(png.split(',')[1], 'base64'));
  states.refine = { verdict };
  metrics.refine_pass_ms = await dbg(() => window.ncaDebug.refine.passMs());
  console.log(`refiner verdict on the drawn 7: ${verdict.digit} (confidence ${verdict.confidence.toFixed(3)})`);
  await page.fill('#refine-speed', '60');
  await page.dispatchEvent('#refine-speed', 'input');
  await page.waitForFunction(() => window.ncaDebug.refine.step() === 50, null, { timeout: 10000 });
  await page.locator('#panel-refine').screenshot({ path: join(shots, 'web-refine.png') });

  // ---- life: rule picker, patterns, toggling
  await dbg(() => { window.ncaDebug.showTab('life'); window.ncaDebug.setPlaying('life', false); });
  await page.selectOption('#life-pattern', 'glider');
  check(await dbg(() => window.ncaDebug.life.population()) === 5, 'the glider has 5 cells');
  const lv = await page.locator('#life-canvas').boundingBox();
  await page.mouse.click(lv.x + 5.5 / 96 * lv.width, lv.y + 5.5 / 64 * lv.height);
  check(await dbg(() => window.ncaDebug.life.population()) === 6, 'a click toggles a cell on');
  await page.mouse.click(lv.x + 5.5 / 96 * lv.width, lv.y + 5.5 / 64 * lv.height);
  check(await dbg(() => window.ncaDebug.life.population()) === 5, 'a second click toggles it off');
  await page.selectOption('#life-rule-pick', 'B36/S23');
  check(await page.inputValue('#life-rule') === 'B36/S23', 'the rule picker sets HighLife');
  await page.selectOption('#life-rule-pick', 'B3/S23');
  await page.selectOption('#life-pattern', 'gosper-glider-gun');
  await dbg(() => window.ncaDebug.setPlaying('life', true));
  [metrics.life_fps, metrics.life_gens_per_s] = await rates('life');
  await page.locator('#panel-life').screenshot({ path: join(shots, 'web-life.png') });

  check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  metrics.console_errors = errors.length;
  writeFileSync(join(out, 'states.json'), JSON.stringify(states));
} catch (e) {
  failures.push(String(e && e.stack || e));
  console.log(`FAIL ${e && e.stack || e}`);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(join(out, 'web-metrics.json'), JSON.stringify(metrics, null, 2));
console.log(`metrics: ${JSON.stringify(metrics)}`);
process.exit(failures.length ? 1 : 0);
