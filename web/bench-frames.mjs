// Frame benchmark of the built page (dist/) in headless Chromium at 1600×1000: for each
// simulation's default scenario, playing, our CPU time per frame as eframe measures it (the
// app's update and tessellation, not the browser's rasterisation) — median, p99, max — and
// the frame rate; then the longest frame while GPU compute runs on WebGPU (SwiftShader), from
// the browser's own frame intervals. Goals (issue 18): median ≤ 12 ms, p99 ≤ 30 ms, longest
// GPU frame ≤ 150 ms. Usage: node web/bench-frames.mjs [seconds per scenario, default 8]
// [only: measure the scenarios whose label contains this, e.g. "Navier"]
import { chromium } from "playwright-core";
import { COMMON, WEBGPU, serveDist } from "./page.mjs";

const seconds = Number(process.argv[2] ?? 8);
const only = process.argv[3] ?? "";
const { server, base } = await serveDist();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: [...COMMON, ...WEBGPU] });
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });

// The browser's frame intervals (requestAnimationFrame), over the measured window.
const watchFrames = () => page.evaluate(() => {
  window.benchIntervals = [];
  let last = performance.now();
  const tick = (now) => { window.benchIntervals.push(now - last); last = now; if (window.benchIntervals !== null) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
});
const longestInterval = () => page.evaluate(() => { const i = window.benchIntervals; window.benchIntervals = null; return Math.max(...i); });

async function measure(label, link, compute) {
  if (!label.includes(only)) return null;
  await page.goto(base + link);
  await page.waitForFunction(() => window.stepscope && window.stepscope.ready, null, { timeout: 120000 });
  if (compute) {
    const refused = await page.evaluate((c) => { try { window.stepscope.compute(c); return null; } catch (e) { return String(e); } }, compute);
    if (refused) { console.log(`${label}: not measured, ${refused}`); return null; }
  }
  await page.evaluate(() => window.stepscope.play());
  await page.waitForTimeout(1000); // the first second: shaders, textures, first histories
  await page.evaluate(() => window.stepscope.resetFrameStats());
  await watchFrames();
  await page.waitForTimeout(seconds * 1000);
  const s = await page.evaluate(() => window.stepscope.frameStats());
  const longest = await longestInterval();
  const d = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate(() => window.stepscope.pause());
  console.log(`${label.padEnd(34)} ${String(s.frames).padStart(5)} frames  median ${s.median_ms.toFixed(1).padStart(6)} ms  p99 ${s.p99_ms.toFixed(1).padStart(6)} ms  max ${s.max_ms.toFixed(1).padStart(6)} ms  ${s.fps.toFixed(1).padStart(5)} fps  longest frame interval ${longest.toFixed(0).padStart(5)} ms  (${d.compute}, t = ${Number(d.t).toFixed(3)})`);
  return { ...s, longest };
}

console.log(`frames of the wasm build at 1600×1000, headless Chromium (WebGPU on SwiftShader), ${seconds} s each, playing:`);
for (const [label, link] of [["NLSE default (CPU f64)", "?s=nlse"], ["three-body default (CPU f64)", "?s=3body"],
  ["diffusion default (CPU f64)", "?s=diffusion"], ["Navier–Stokes default (CPU f64)", "?s=ns"]]) {
  await measure(label, link);
}
console.log("while GPU compute runs (WebGPU on SwiftShader, f32):");
await measure("NLSE soliton, ERK4(3)-IP (GPU f32)", "?s=nlse&solver=erk43ip&rtol=1e-5", "gpu");
await measure("Navier–Stokes default (GPU f32)", "?s=ns", "gpu");
await browser.close();
server.close();
