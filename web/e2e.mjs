// End-to-end test of the built page (dist/) in headless Chromium with WebGPU (SwiftShader).
// Serves dist/ on 127.0.0.1 (WebGPU needs a secure context), loads a scenario from a link,
// drives it through the page's JS API (window.stepscope) and asserts on its diagnostics.
// Usage: node web/e2e.mjs [--screenshot assets/screenshot.png]
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { COMMON, WEBGPU, serveDist } from "./page.mjs";

const screenshotArg = process.argv.indexOf("--screenshot");
const screenshotPath = screenshotArg > 0 ? path.resolve(process.argv[screenshotArg + 1]) : null;
const { server, base } = await serveDist();

let failures = 0;
const check = (ok, what) => { console.log(`${ok ? "ok  " : "FAIL"} ${what}`); if (!ok) failures++; };

async function openPage(args, link) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  const consoleLines = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  await page.goto(base + link);
  try {
    await page.waitForFunction(() => window.stepscope && window.stepscope.ready, null, { timeout: 120000 });
  } catch (e) {
    console.log("page console:\n" + consoleLines.join("\n"));
    console.log("page errors:\n" + errors.join("\n"));
    console.log("status: " + (await page.evaluate(() => document.getElementById("status")?.textContent)));
    throw e;
  }
  // One more animation frame so the first frame is on screen.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return { browser, page, errors };
}

/// Navigation to the first frame egui drew, in the page's own clock (performance.now() counts
/// from the navigation's start), for `runs` fresh visits (a new browser context each: nothing
/// cached); the median and every run.
async function firstFrameTimes(runs) {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: [...COMMON, ...WEBGPU] });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(base);
    await page.waitForFunction(() => window.stepscope && window.stepscope.ready, null, { timeout: 120000 });
    const firstFrame = await page.evaluate(() => window.stepscope.firstFrameMs ?? null);
    times.push(firstFrame);
    await context.close();
  }
  await browser.close();
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(runs / 2)], times };
}

try {
  // 0. How soon a visitor sees the page: navigation to the first drawn frame, 5 fresh visits.
  const first = await firstFrameTimes(5);
  console.log(`navigation to first drawn frame: median ${first.median.toFixed(0)} ms of 5 fresh visits (${first.times.map((t) => t.toFixed(0)).join(", ")} ms; goal ≤ 1500 ms; headless Chromium, SwiftShader WebGPU, this machine)`);
  check(first.times.every((t) => t > 0), "the page reports when it drew its first frame");

  // 1. WebGPU: a soliton link, run through the JS API.
  const link = "?v=1&s=nlse&case=soliton&n=512&solver=dop853ip&rtol=1e-10&atol=1e-13";
  const { browser, page, errors } = await openPage([...COMMON, ...WEBGPU], link);
  const backend = await page.evaluate(() => window.stepscope.backend());
  console.log(`backend: ${backend}`);
  check(/WebGpu/i.test(backend), "renders through WebGPU");
  const wasmOf = (p) => p.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.endsWith(".wasm")).map((n) => n.split("/").pop()));
  const loaded = await wasmOf(page);
  check(loaded.length === 1 && loaded[0] === "stepscope_bg.wasm", `a WebGPU browser loads the WebGPU build alone (${loaded.join(", ")})`);
  let d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.case === "soliton" && d.solver === "dop853ip" && d.t === 0, `the link's scenario is loaded (${d.case}, ${d.solver}, t=${d.t})`);
  await page.evaluate(() => window.stepscope.runUntil(5));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`soliton to t=5: error vs exact ${d.diagnostics.exact_error.toExponential(3)}, mass drift ${d.diagnostics.mass_drift.toExponential(3)}, accepted ${d.accepted}, rejected ${d.rejected}, nfe ${d.nfe}`);
  check(d.t === 5, "reached t = 5 exactly");
  check(d.diagnostics.exact_error < 1e-8, "error against the exact soliton < 1e-8");
  check(d.diagnostics.mass_drift < 1e-10, "mass drift < 1e-10");
  check(d.accepted > 10 && d.nfe >= 12 * d.accepted, "step statistics are reported");

  // 1b. The same kind of run computed on the GPU (WGSL on the WebGPU device, f32), the
  // controller on the GPU, diagnostics reduced there and read back asynchronously.
  const gpuLink = "?v=1&s=nlse&case=soliton&n=512&solver=erk43ip&rtol=1e-5&atol=1e-9";
  await page.evaluate((l) => window.stepscope.load(l), gpuLink);
  await page.evaluate(() => window.stepscope.runUntil(5));
  const cpuRef = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate((l) => window.stepscope.load(l), gpuLink);
  await page.evaluate(() => window.stepscope.compute("gpu"));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  // WebGPU hides adapter names from wgpu; the page's own adapter info names SwiftShader.
  const info = await page.evaluate(async () => { const a = await navigator.gpu.requestAdapter(); return `${a.info.vendor} ${a.info.architecture}`; });
  console.log(`GPU compute device: ${d.gpu_adapter}; navigator.gpu adapter: ${info}`);
  check(d.compute === "gpu-f32" && /BrowserWebGpu/.test(d.gpu_adapter ?? "") && /swiftshader/i.test(info), `the GPU path computes on the WebGPU (SwiftShader) adapter (${d.compute})`);
  await page.evaluate(() => window.stepscope.runUntil(5));
  await page.waitForFunction(() => { const x = window.stepscope.diagnostics(); return x.t >= 5 && !x.busy; }, null, { timeout: 120000 });
  d = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`GPU soliton to t=5: error vs exact ${d.diagnostics.exact_error.toExponential(3)}, mass drift ${d.diagnostics.mass_drift.toExponential(3)}, accepted ${d.accepted}, rejected ${d.rejected}, h ${d.h.toExponential(3)}`);
  check(d.t === 5 && d.compute === "gpu-f32", "the GPU run reached t = 5 exactly");
  const relErr = Math.abs(d.diagnostics.exact_error - cpuRef.diagnostics.exact_error) / cpuRef.diagnostics.exact_error;
  console.log(`  same link on the CPU (f64): error vs exact ${cpuRef.diagnostics.exact_error.toExponential(3)}, accepted ${cpuRef.accepted}`);
  check(d.diagnostics.exact_error < 1e-4 && relErr < 0.1, `GPU error against the exact soliton within 10 % of the CPU's at the same tolerance (${(100 * relErr).toFixed(1)} %)`);
  check(d.diagnostics.mass_drift < 1e-5, "GPU mass drift < 1e-5 (f32 reductions)");
  check(Math.abs(d.accepted - cpuRef.accepted) <= 2, `the GPU controller took ${d.accepted} steps, the CPU's ${cpuRef.accepted}`);
  // The waterfall and spectrogram are drawn on the GPU into textures egui shows directly.
  await page.evaluate(() => window.stepscope.view("waterfall"));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.gpu_picture_rows > 5 && d.gpu_pictures_registered, `GPU-drawn waterfall: ${d.gpu_picture_rows} rows, registered as egui textures`);
  if (screenshotPath) fs.writeFileSync(screenshotPath.replace(/\.png$/, "-gpu.png"), await page.screenshot());
  await page.evaluate(() => window.stepscope.view("state"));
  await page.evaluate(() => window.stepscope.compute("cpu"));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.compute === "cpu-f64" && d.t === 5, "hand-over back to the CPU keeps the state");

  // 2. Load another link, single steps, parameter changes.
  await page.evaluate(() => window.stepscope.load("?s=nlse&case=breather&solver=rk4ip&dt=0.01"));
  await page.evaluate(() => window.stepscope.step(10));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.case === "breather" && d.accepted === 10 && Math.abs(d.t - 0.1) < 1e-12, `load + step(10): t=${d.t}, accepted=${d.accepted}`);
  check(d.diagnostics.exact_error < 1e-7, `breather error after 10 RK4IP steps ${d.diagnostics.exact_error.toExponential(2)} < 1e-7`);
  await page.evaluate(() => window.stepscope.set("solver", "dop853ip"));
  await page.evaluate(() => window.stepscope.step(3));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.solver === "dop853ip" && d.accepted === 13, "set(solver) continues the run from the current state");

  // 3. Bad input: clear messages, nothing lost.
  const bad = await page.evaluate(() => { try { window.stepscope.set("rtol", "0"); return null; } catch (e) { return String(e); } });
  check(bad && bad.includes("rtol"), `set("rtol", 0) is refused: ${bad}`);
  const bad2 = await page.evaluate(() => { try { window.stepscope.load("?s=nlse&n=" + "9".repeat(50)); return null; } catch (e) { return String(e); } });
  check(bad2 && bad2.includes("'n'"), `a malformed link is refused: ${bad2}`);
  const garbage = await page.evaluate(() => { try { window.stepscope.load("x".repeat(100000)); return null; } catch (e) { return String(e); } });
  check(garbage && garbage.includes("bytes"), "100 kB of garbage is refused");
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.case === "breather" && d.accepted === 13, "the previous run is kept after bad input");

  // 4. Play: the clock runs on its own.
  await page.evaluate(() => window.stepscope.play());
  await page.waitForTimeout(1500);
  await page.evaluate(() => window.stepscope.pause());
  const played = await page.evaluate(() => window.stepscope.diagnostics());
  check(played.t > d.t, `playing advances the simulation (t ${d.t.toFixed(3)} → ${played.t.toFixed(3)})`);

  // 4b. Three-body: the Pythagorean problem from a link, IAS15 through its close encounters.
  await page.evaluate(() => window.stepscope.load("?v=1&s=3body&case=pythagorean&solver=ias15&tol=1e-9"));
  await page.evaluate(() => window.stepscope.runUntil(20));
  let tb = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`three-body: t=${tb.t.toFixed(4)} steps=${tb.accepted} |dE/E0|=${tb.diagnostics.energy_error.toExponential(2)} closest=${tb.diagnostics.closest_approach.toExponential(2)}`);
  check(tb.sim === "3body" && tb.case === "pythagorean" && tb.t >= 20, "a three-body link loads and runs to t = 20");
  check(tb.diagnostics.energy_error < 1e-9, `IAS15 energy error ${tb.diagnostics.energy_error.toExponential(2)} < 1e-9 after the t ≈ 15.8 encounter`);
  check(tb.diagnostics.closest_approach < 1e-3, `the close encounter is resolved (closest ${tb.diagnostics.closest_approach.toExponential(2)})`);
  await page.evaluate(() => window.stepscope.set("solver", "leapfrog"));
  await page.evaluate(() => window.stepscope.step(10));
  const tb2 = await page.evaluate(() => window.stepscope.diagnostics());
  check(tb2.solver === "leapfrog" && tb2.accepted === tb.accepted + 10 && tb2.t > tb.t, "switching to leapfrog continues the run");
  const tbBad = await page.evaluate(() => { try { window.stepscope.load("?s=3body&b1=1,0,0,0,0,0,0&b2=1,0,0,0,0,0,0"); return null; } catch (e) { return String(e); } });
  check(tbBad && tbBad.includes("same position"), `a three-body link with coincident bodies is refused: ${tbBad}`);

  // 4c. Chaos map: the same ensemble on WebGPU (f32) and on the CPU (f64), then a pixel loaded.
  await page.evaluate(() => window.stepscope.load("?s=3body&case=trojan&solver=ias15"));
  const mapOpts = { resolution: 24, tEnd: 10, body: 3, plane: "vxvy", span: 1, escapeRadius: 5 };
  const runMap = async (gpu) => {
    await page.evaluate(({ o, gpu }) => window.stepscope.chaosMap({ ...o, gpu }), { o: mapOpts, gpu });
    await page.waitForFunction(() => { const m = window.stepscope.diagnostics().map; return m.members > 0 && m.finished === m.members; }, null, { timeout: 180000 });
    return (await page.evaluate(() => window.stepscope.diagnostics())).map;
  };
  const gpuMap = await runMap(true);
  const cpuMap = await runMap(false);
  console.log(`chaos map 24×24 Trojan vx,vy ±1: WebGPU ${gpuMap.escaped} escaped, mean escape time ${gpuMap.mean_escape_time.toFixed(4)}, ${gpuMap.dispatches} dispatches, ${gpuMap.seconds.toFixed(2)} s; CPU f64 ${cpuMap.escaped} escaped, mean ${cpuMap.mean_escape_time.toFixed(4)}, ${cpuMap.seconds.toFixed(2)} s`);
  check(gpuMap.on_gpu === true && gpuMap.dispatches > 0, "the chaos map is integrated by WebGPU compute");
  check(gpuMap.escaped > 0 && gpuMap.escaped < gpuMap.members, "the map has escaping and bound systems");
  check(Math.abs(gpuMap.escaped - cpuMap.escaped) <= 2 && Math.abs(gpuMap.mean_escape_time - cpuMap.mean_escape_time) < 1e-3 * cpuMap.mean_escape_time,
    "WebGPU f32 and CPU f64 maps agree (escaped count ±2, mean escape time to 1e-3)");
  await page.evaluate(() => window.stepscope.mapPixel(5, 7));
  const pixel = await page.evaluate(() => window.stepscope.diagnostics());
  check(pixel.t === 0 && /b3=/.test(pixel.link), "clicking a pixel loads that system into the main view, carried by the link");

  // 4d. Diffusion sampling: a link sampled by WebGPU (f32), then the same run on the CPU (f64).
  const diffusionLink = "?s=diffusion&target=ring8&process=vp&grid=lambda&sampler=unipc&nfe=20&n=4096&seed=2";
  await page.evaluate((l) => window.stepscope.load(l), diffusionLink);
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.sim === "diffusion" && d.sampler === "unipc" && d.particles === 4096 && d.finished === false, `the diffusion link is loaded (${d.sampler}, ${d.particles} particles)`);
  await page.evaluate(() => window.stepscope.compute("gpu"));
  await page.evaluate(() => window.stepscope.runUntil(0));
  await page.waitForFunction(() => window.stepscope.diagnostics().finished === true, null, { timeout: 180000 });
  const gpuSample = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate(() => window.stepscope.compute("cpu"));
  await page.evaluate(() => window.stepscope.runUntil(0));
  const cpuSample = await page.evaluate(() => window.stepscope.diagnostics());
  const gr = gpuSample.report, cr = cpuSample.report;
  console.log(`diffusion ring of 8, UniPC NFE 20, 4096 particles: WebGPU (${gpuSample.compute}) SW2 ${gr.sliced_w2.toFixed(4)} (exact-set noise ${gr.sliced_w2_noise.toFixed(4)}), error vs ODE ${gr.ode_error_rms.toExponential(2)}, mode TV ${gr.mode_tv.toFixed(4)}; CPU f64 SW2 ${cr.sliced_w2.toFixed(4)}, error vs ODE ${cr.ode_error_rms.toExponential(2)}`);
  check(gpuSample.compute === "gpu-f32" && /BrowserWebGpu/.test(gpuSample.gpu_adapter ?? ""), "the samples are computed by WebGPU");
  check(gpuSample.nfe === 20 && gpuSample.steps === 20, "20 denoiser evaluations in 20 steps");
  check(gr.ode_error_rms < 0.05 && gr.sliced_w2 < 3 * gr.sliced_w2_noise + 0.05 && gr.mode_tv < 0.05, "the WebGPU samples are close to the exact ODE solution and to the target");
  check(Math.abs(gr.ode_error_rms - cr.ode_error_rms) < 1e-3 * cr.ode_error_rms + 1e-5 && Math.abs(gr.sliced_w2 - cr.sliced_w2) < 1e-3, "WebGPU f32 and CPU f64 sampling agree");
  const diffusionBad = await page.evaluate(() => { try { window.stepscope.set("nfe", "0"); return null; } catch (e) { return String(e); } });
  check(diffusionBad && /NFE/.test(diffusionBad), `NFE 0 is refused with a message: ${diffusionBad}`);

  // 4e. Navier–Stokes: the lid-driven cavity from a link, computed in the page (CPU f64), a
  // live solver switch, the same flow continued on WebGPU (f32) and back, bad input.
  await page.evaluate(() => window.stepscope.load("?s=ns&case=cavity&n=64&re=100&solver=rk3&pressure=mg&tol=1e-6"));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  check(d.sim === "ns" && d.case === "cavity" && d.steps === 0 && d.cells[0] === 64, `the Navier–Stokes link is loaded (${d.case}, ${d.cells})`);
  const nsStart = Date.now();
  await page.evaluate(() => window.stepscope.runUntil(2));
  d = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`Navier–Stokes cavity Re 100, 64², SSP-RK3 + multigrid in the page: t = ${d.t.toFixed(3)} in ${d.steps} steps (${((Date.now() - nsStart) / 1000).toFixed(1)} s), E = ${d.energy.toExponential(3)}, max |div u| = ${d.max_divergence.toExponential(2)}, ${d.pressure_iterations} pressure iterations, max |Δ| vs Ghia ${d.error.toFixed(4)} (not yet steady)`);
  check(d.t >= 2 && d.steps > 100 && d.failure === null, "the cavity runs to t = 2");
  check(d.max_divergence < 1e-4 && d.energy > 0.01 && d.error < 0.2, "the flow is divergence-free and spinning up towards Ghia's profile");
  await page.evaluate(() => window.stepscope.set("solver", "maccormack"));
  await page.evaluate(() => window.stepscope.view("dye"));
  await page.evaluate(() => window.stepscope.play());
  await page.waitForFunction((t) => window.stepscope.diagnostics().t > t + 0.05, d.t, { timeout: 60000 });
  await page.evaluate(() => window.stepscope.pause());
  const nsSwitched = await page.evaluate(() => window.stepscope.diagnostics());
  check(nsSwitched.solver === "maccormack" && nsSwitched.t > d.t, "a live switch to MacCormack continues the same flow");
  // The same flow continues on WebGPU (f32), then back on the CPU.
  await page.evaluate(() => window.stepscope.compute("gpu"));
  const nsGpuFrom = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate((t) => window.stepscope.runUntil(t), nsGpuFrom.t + 0.1);
  await page.waitForFunction((t) => { const x = window.stepscope.diagnostics(); return x.t >= t && x.busy === false; }, nsGpuFrom.t + 0.1, { timeout: 300000 });
  const nsGpu = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`Navier–Stokes on WebGPU (${nsGpu.gpu_adapter}): ${nsGpu.solver}, t ${nsGpuFrom.t.toFixed(3)} → ${nsGpu.t.toFixed(3)} in ${nsGpu.steps - nsGpuFrom.steps} steps, E ${nsGpuFrom.energy.toExponential(4)} → ${nsGpu.energy.toExponential(4)}, max |div u| ${nsGpu.max_divergence.toExponential(2)}, pressure residual ${nsGpu.pressure_residual.toExponential(2)} with ${nsGpu.gpu_pressure_iterations} V-cycles per projection`);
  check(nsGpu.compute === "gpu-f32" && /BrowserWebGpu/.test(nsGpu.gpu_adapter ?? ""), "the Navier–Stokes steps are computed by WebGPU");
  check(nsGpu.steps > nsGpuFrom.steps && nsGpu.max_divergence < 1e-3 && nsGpu.pressure_residual < 1e-4, "the WebGPU flow advances and stays divergence-free");
  check(Math.abs(nsGpu.energy / nsGpuFrom.energy - 1) < 0.2 && nsGpu.energy > nsGpuFrom.energy * 0.9, "and continues the CPU's flow (energy keeps growing with the lid)");
  check(nsGpu.picture === "gpu-texture", `the WebGPU flow is drawn from GPU buffers as a native texture (picture: ${nsGpu.picture})`);
  // Painting an obstacle while WebGPU computes: the GPU continues around it.
  await page.evaluate(() => window.stepscope.paint(0.5, 0.45, 0.1));
  const painted = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate(() => window.stepscope.step(3));
  await page.waitForFunction((s) => { const x = window.stepscope.diagnostics(); return x.steps >= s + 3 && x.busy === false; }, painted.steps, { timeout: 300000 });
  const nsPainted = await page.evaluate(() => window.stepscope.diagnostics());
  check(nsPainted.compute === "gpu-f32" && nsPainted.obstacle_cells > 20 && /mask=/.test(nsPainted.link) && nsPainted.max_divergence < 1e-3,
    `a painted obstacle (${nsPainted.obstacle_cells} cells) joins the link and the WebGPU flow goes around it`);
  await page.evaluate(() => window.stepscope.compute("cpu"));
  await page.evaluate(() => window.stepscope.step(2));
  const nsBack = await page.evaluate(() => window.stepscope.diagnostics());
  check(nsBack.compute === "cpu-f64" && nsBack.steps === nsPainted.steps + 2, "back on the CPU it continues from the GPU's state");
  const nsBad = await page.evaluate(() => { try { window.stepscope.set("re", "-1"); return null; } catch (e) { return String(e); } });
  check(nsBad && /Reynolds/.test(nsBad), `a negative Reynolds number is refused with a message: ${nsBad}`);
  // The FFT pressure solver on WebGPU (the shared WGSL FFT in 2D): decaying turbulence on a
  // periodic 64² grid, 20 steps on the GPU against the same 20 steps on the CPU (f64).
  const fftLink = "?s=ns&case=turbulence&n=64&re=2000&solver=rk3&pressure=fft&seed=3";
  await page.evaluate((l) => window.stepscope.load(l), fftLink);
  await page.evaluate(() => window.stepscope.compute("gpu"));
  await page.evaluate(() => window.stepscope.step(20));
  await page.waitForFunction(() => { const x = window.stepscope.diagnostics(); return x.steps >= 20 && x.busy === false; }, null, { timeout: 300000 });
  const fftGpu = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate((l) => window.stepscope.load(l), fftLink);
  await page.evaluate(() => window.stepscope.compute("cpu"));
  await page.evaluate(() => window.stepscope.step(20));
  const fftCpu = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`Navier–Stokes FFT pressure, turbulence 64², 20 SSP-RK3 steps: WebGPU E ${fftGpu.energy.toExponential(6)}, t ${fftGpu.t.toFixed(6)}, max |div u| ${fftGpu.max_divergence.toExponential(2)}, residual ${fftGpu.pressure_residual.toExponential(2)}; CPU E ${fftCpu.energy.toExponential(6)}, t ${fftCpu.t.toFixed(6)}`);
  check(fftGpu.compute === "gpu-f32" && fftGpu.pressure_solver === "fft" && fftGpu.steps === 20 && fftGpu.max_divergence < 1e-3,
    "the FFT pressure solver runs on WebGPU and keeps the flow divergence-free");
  check(Math.abs(fftGpu.energy / fftCpu.energy - 1) < 1e-4 && Math.abs(fftGpu.t / fftCpu.t - 1) < 1e-5,
    "WebGPU (f32) and CPU (f64) agree on the energy to 1e-4 and the time to 1e-5");
  // The pseudo-spectral solver on WebGPU: the same turbulence, integrating-factor RK4.
  const spectralLink = "?s=ns&case=turbulence&n=64&re=2000&solver=spectral-if&seed=3";
  await page.evaluate((l) => window.stepscope.load(l), spectralLink);
  await page.evaluate(() => window.stepscope.compute("gpu"));
  await page.evaluate(() => window.stepscope.view("dye"));
  await page.evaluate(() => window.stepscope.step(20));
  await page.waitForFunction(() => { const x = window.stepscope.diagnostics(); return x.steps >= 20 && x.busy === false; }, null, { timeout: 300000 });
  const specGpu = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate((l) => window.stepscope.load(l), spectralLink);
  await page.evaluate(() => window.stepscope.compute("cpu"));
  await page.evaluate(() => window.stepscope.step(20));
  const specCpu = await page.evaluate(() => window.stepscope.diagnostics());
  console.log(`Navier–Stokes spectral IF-RK4, turbulence 64², 20 steps: WebGPU E ${specGpu.energy.toExponential(6)}, enstrophy ${specGpu.enstrophy.toExponential(6)}, t ${specGpu.t.toFixed(6)}, picture ${specGpu.picture}; CPU E ${specCpu.energy.toExponential(6)}, enstrophy ${specCpu.enstrophy.toExponential(6)}`);
  check(specGpu.compute === "gpu-f32" && specGpu.solver === "spectral-if" && specGpu.steps === 20 && specGpu.picture === "gpu-texture",
    "the spectral solver runs on WebGPU and its picture is painted there");
  check(Math.abs(specGpu.energy / specCpu.energy - 1) < 1e-5 && Math.abs(specGpu.enstrophy / specCpu.enstrophy - 1) < 1e-5 && Math.abs(specGpu.t / specCpu.t - 1) < 1e-5,
    "WebGPU (f32) and CPU (f64) spectral runs agree on energy and enstrophy to 1e-5");

  // Race lab through the JS API: strang and rk4ip over dt on the soliton, in frames, and the
  // work–precision data read back with its fitted orders.
  await page.evaluate(() => window.stepscope.load("?s=nlse&case=soliton&n=256"));
  await page.evaluate(() => window.stepscope.race({ key: "dt", from: 0.1, to: 0.0125, points: 4, solvers: ["strang", "rk4ip"], until: 1 }));
  await page.waitForFunction(() => { const r = window.stepscope.raceState(); return r.finished && r.lanes.every((l) => l.done); }, null, { timeout: 300000 });
  const race = await page.evaluate(() => window.stepscope.raceState());
  for (const f of race.fits) {
    console.log(`race ${f.solver}: observed order ${f.observed_order?.toFixed(3)} (theory ${f.theory_order}); (work, error) ${f.points.map((p) => `(${p.work}, ${p.error.toExponential(2)})`).join(" ")}`);
  }
  check(race.fits.length === 2 && race.fits.every((f) => f.points.length === 4 && Math.abs(f.observed_order - f.theory_order) <= 0.3),
    "a race through the JS API reads back work–precision data with observed orders within 0.3 of theory");
  check(race.error_measure.includes("exact") && race.lanes.every((l) => l.t === 1 && l.samples > 10),
    "its lanes ran side by side to t = 1, measured against the exact soliton");
  const refusedRace = await page.evaluate(() => { try { window.stepscope.race({ solvers: ["warp-drive"] }); return null; } catch (e) { return String(e); } });
  check(refusedRace && /warp-drive/.test(refusedRace) && (await page.evaluate(() => window.stepscope.raceState().fits.length)) === 2,
    `a bad race is refused with its reason and the last race kept: ${refusedRace}`);
  // The same lab on WebGPU: twelve three-body runs (leapfrog, yoshida4, rk4 at four steps) in
  // each dispatch, f32, against the f64 race of the same plan.
  await page.evaluate(() => window.stepscope.load("?s=3body&case=figure8&steps=fixed"));
  const threeBodyRace = { key: "dt", from: 0.1, to: 0.0125, points: 4, solvers: ["leapfrog", "yoshida4", "rk4"], until: 2 };
  await page.evaluate((p) => window.stepscope.race(p), threeBodyRace);
  await page.waitForFunction(() => window.stepscope.raceState().finished, null, { timeout: 300000 });
  const cpuRace = await page.evaluate(() => window.stepscope.raceState());
  await page.evaluate((p) => window.stepscope.race({ ...p, backend: "gpu" }), threeBodyRace);
  await page.waitForFunction(() => window.stepscope.raceState().finished, null, { timeout: 300000 });
  const gpuRace = await page.evaluate(() => window.stepscope.raceState());
  const pairs = cpuRace.fits.flatMap((f, k) => f.points.map((p, i) => [p, gpuRace.fits[k].points[i]]));
  for (const [c, g] of pairs) {
    console.log(`race on WebGPU ${g.solver} dt ${g.value.toFixed(4)}: work ${c.work}/${g.work}, error f64 ${c.error.toExponential(3)}, f32 ${g.error.toExponential(3)}, floor ${g.floor.toExponential(2)}`);
  }
  const leapfrogGpu = gpuRace.fits[0].observed_order;
  check(/^GPU .*12 runs in each dispatch, f32$/.test(gpuRace.backend) && pairs.length === 12
      && pairs.every(([c, g]) => c.work === g.work && Math.abs(g.error - c.error) <= 0.01 * c.error + g.floor)
      && Math.abs(leapfrogGpu - 2) <= 0.3,
    `a three-body race on WebGPU (${gpuRace.backend}) matches the f64 race within its f32 floor; leapfrog order ${leapfrogGpu?.toFixed(3)}`);
  await page.evaluate(() => window.stepscope.mode("run"));

  // Exports: history with its link and decimation, a checkpoint that reloads exactly, a PNG
  // picture and a WebM recording, all as downloads.
  await page.evaluate(() => window.stepscope.load("?s=nlse&case=breather&solver=dopri5ip&rtol=1e-8&atol=1e-11"));
  await page.evaluate(() => window.stepscope.runUntil(1));
  const csv = await page.evaluate(() => window.stepscope.history("csv"));
  const stepRows = csv.split("\n").filter((l) => l.startsWith("h,")).length;
  check(csv.includes("# link: ?v=1&s=nlse&case=breather") && csv.includes("# decimation: ") && stepRows > 10,
    `the history export carries the link, the decimation and every kept sample (${stepRows} step sizes)`);
  const saved = await page.evaluate(() => window.stepscope.checkpoint());
  await page.evaluate(() => window.stepscope.runUntil(2));
  const straight = await page.evaluate(() => window.stepscope.diagnostics());
  await page.evaluate((text) => window.stepscope.restore(text), saved);
  const restoredT = (await page.evaluate(() => window.stepscope.diagnostics())).t;
  await page.evaluate(() => window.stepscope.runUntil(2));
  const resumed = await page.evaluate(() => window.stepscope.diagnostics());
  check(restoredT === 1 && resumed.t === 2 && resumed.accepted === straight.accepted && JSON.stringify(resumed.diagnostics) === JSON.stringify(straight.diagnostics),
    `a checkpoint (${saved.length} bytes) reloads at t = 1 and continues to the same state bit for bit`);
  const badRestore = await page.evaluate(() => { try { window.stepscope.restore("{\"format\": \"stepscope checkpoint\"}"); return null; } catch (e) { return String(e); } });
  check(badRestore && (await page.evaluate(() => window.stepscope.diagnostics().t)) === 2, `a damaged checkpoint is refused and the run kept: ${badRestore}`);
  await page.evaluate(() => window.stepscope.exportFile("picture"));
  await page.waitForFunction(() => window.stepscope.lastDownload && window.stepscope.lastDownload.type === "image/png", null, { timeout: 30000 });
  const picture = await page.evaluate(() => window.stepscope.lastDownload);
  check(picture.size > 10000, `the picture export downloads a PNG (${picture.name}, ${picture.size} bytes)`);
  const recording = await page.evaluate(() => window.stepscope.record(1.5));
  check(recording.size > 0 && recording.seconds < 5 && !recording.capped,
    `a WebM recording of the canvas downloads (${recording.size} bytes in ${recording.seconds.toFixed(1)} s)`);

  const shot = await page.screenshot();
  check(shot.length > 30000, `the canvas is rendered (screenshot ${shot.length} bytes)`);
  if (screenshotPath) {
    // The first screen, as a new visitor sees it (a fresh page, no stored run): the default
    // scenario, its equation, presets and the Play prompt.
    const first = await openPage([...COMMON, ...WEBGPU], "");
    await first.page.waitForTimeout(800);
    fs.writeFileSync(screenshotPath.replace(/\.png$/, "-first.png"), await first.page.screenshot());
    await first.browser.close();
    // The README's picture: the two-soliton collision mid-run, with its waterfall.
    await page.evaluate(() => window.stepscope.load("?s=nlse&case=collision&solver=dop853ip&rtol=1e-10&atol=1e-13"));
    await page.evaluate(() => window.stepscope.runUntil(14));
    await page.evaluate(() => window.stepscope.view("waterfall"));
    await page.waitForTimeout(500);
    fs.writeFileSync(screenshotPath, await page.screenshot());
    // The three-body pictures: the Pythagorean problem after its encounters, and a chaos map.
    await page.evaluate(() => window.stepscope.load("?s=3body&case=pythagorean&solver=ias15&trail=3000"));
    await page.evaluate(() => window.stepscope.runUntil(50));
    await page.waitForTimeout(500);
    fs.writeFileSync(screenshotPath.replace(/\.png$/, "-threebody.png"), await page.screenshot());
    await page.evaluate(() => window.stepscope.load("?s=3body&case=figure8&solver=ias15"));
    await page.evaluate(() => window.stepscope.chaosMap({ gpu: true, resolution: 64, tEnd: 10, span: 0.6, escapeRadius: 5 }));
    await page.waitForFunction(() => { const m = window.stepscope.diagnostics().map; return m.finished === m.members; }, null, { timeout: 900000 });
    await page.waitForTimeout(500);
    fs.writeFileSync(screenshotPath.replace(/\.png$/, "-chaosmap.png"), await page.screenshot());
    // Diffusion: the spiral sampled by DPM-Solver++(2M) in 40 evaluations, with particle trails.
    await page.evaluate(() => window.stepscope.load("?s=diffusion&target=spiral&process=vp&grid=lambda&sampler=dpmpp2m&nfe=40&n=8192&seed=1"));
    await page.evaluate(() => window.stepscope.runUntil(0));
    await page.waitForTimeout(500);
    fs.writeFileSync(screenshotPath.replace(/\.png$/, "-diffusion.png"), await page.screenshot());
    // Navier–Stokes: the von Kármán street behind the cylinder at Re = 100.
    await page.evaluate(() => window.stepscope.load("?s=ns&case=cylinder&n=64&re=100&solver=maccormack"));
    await page.evaluate(() => window.stepscope.runUntil(80));
    await page.evaluate(() => window.stepscope.view("vorticity"));
    await page.waitForTimeout(500);
    fs.writeFileSync(screenshotPath.replace(/\.png$/, "-navier-stokes.png"), await page.screenshot());
    // One race per simulation: the work–precision diagrams of the README.
    for (const [name, link, plan] of [
      ["nlse", "?s=nlse&case=soliton", { key: "dt", from: 0.1, to: 0.0125, points: 4, solvers: ["strang", "yoshida4", "rk4ip"], until: 1 }],
      ["threebody", "?s=3body&case=figure8&steps=fixed", { key: "dt", from: 0.02, to: 0.0025, points: 4, solvers: ["leapfrog", "yoshida4"], until: 6.3259 }],
      ["threebody-gpu", "?s=3body&case=figure8&steps=fixed", { key: "dt", from: 0.1, to: 0.0125, points: 6, solvers: ["leapfrog", "yoshida4", "rk4"], until: 2, backend: "gpu" }],
      ["diffusion", "?s=diffusion&n=1024&init=exact", { key: "nfe", from: 40, to: 320, points: 4, solvers: ["ddim", "heun", "dpm2", "dpm3"] }],
      ["navier-stokes", "?s=ns&case=turbulence&n=32&pressure=fft", { key: "cfl", from: 0.8, to: 0.1, points: 4, solvers: ["rk2", "rk3", "spectral-rk4"], until: 2, measure: "reference" }],
    ]) {
      await page.evaluate((l) => window.stepscope.load(l), link);
      await page.evaluate((p) => window.stepscope.race(p), plan);
      await page.waitForFunction(() => { const r = window.stepscope.raceState(); return r.finished && r.lanes.every((l) => l.done); }, null, { timeout: 900000 });
      await page.waitForTimeout(500);
      fs.writeFileSync(screenshotPath.replace(/\.png$/, `-race-${name}.png`), await page.screenshot());
    }
    await page.evaluate(() => window.stepscope.mode("run"));
  }
  check(errors.length === 0, `no page errors ${errors.join("; ")}`);
  check(!(await page.evaluate(() => document.getElementById("status").classList.contains("error"))), "no error banner");

  // 4g. The link in the address bar: a change reaches the URL (debounced), the link box shows
  // it, Copy link confirms, a reload restores it; hostile links are refused with a message
  // that says what is allowed, and the run is kept.
  await page.evaluate(() => window.stepscope.load("?s=nlse&case=breather&solver=dop853ip&rtol=1e-8"));
  await page.evaluate(() => window.stepscope.set("rtol", "1e-7"));
  const sameAsLink = () => { const d = window.stepscope.diagnostics(); return location.search === "?" + d.link; };
  await page.waitForFunction(sameAsLink, null, { timeout: 10000 }).catch(() => {});
  let linked = await page.evaluate(() => ({ href: location.href, d: window.stepscope.diagnostics() }));
  check(linked.href === base + "?" + linked.d.link && /rtol=1e-7/.test(linked.href), `the address bar follows the run: ${linked.href}`);
  check(linked.d.link_box === linked.href, `the link box shows the current link (${linked.d.link_box})`);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const copied = await page.evaluate(() => window.stepscope.copyLink());
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const afterCopy = await page.evaluate(() => window.stepscope.diagnostics());
  const clipboard = await page.evaluate(() => navigator.clipboard.readText().catch((e) => "unreadable: " + e));
  check(copied === linked.href && afterCopy.link_copied && /Link copied/.test(afterCopy.notice ?? ""), `Copy link confirms: "${afterCopy.notice}"`);
  check(clipboard === linked.href, `the clipboard holds the link (${clipboard})`);
  const hostile = [
    ["?s=nlse&n=-5", "must be an integer from 256 to 65536"],
    ["?s=nlse&n=300", "power of two from 256 to 65536"],
    ["?s=diffusion&n=2000000", "particles must be 1 … 1048576"],
    ["?s=diffusion&n=-1", "must be an integer from 1 to 1048576"],
    ["?s=nlse&rtol=abc", "'rtol'"],
    ["?s=nlse&rtol=NaN", "'rtol'"],
    ["?s=warp", "unknown simulation"],
    ["?s=nlse&n=512&n=1024", "more than once"],
    ["?v=99&s=nlse", "newer"],
  ];
  for (const [link, needle] of hostile) {
    const refused = await page.evaluate((l) => { try { window.stepscope.load(l); return null; } catch (e) { return String(e); } }, link);
    const kept = await page.evaluate(() => window.stepscope.diagnostics());
    check(refused && refused.includes(needle) && kept.notice === refused.replace(/^Error: /, "") && kept.link === linked.d.link,
      `${link} is refused with "${refused}", shown until superseded, and the run kept`);
  }
  await page.evaluate(() => window.stepscope.set("rtol", "1e-6"));
  check((await page.evaluate(() => window.stepscope.diagnostics())).notice === null, "a change that goes through supersedes the error");
  await page.evaluate(() => window.stepscope.load("?s=diffusion&n=300000&nfe=10"));
  const many = await page.evaluate(() => window.stepscope.diagnostics());
  check(many.particles === 300000 && /n=300000/.test(many.link), `a valid particle count is kept as given, not clamped (${many.particles})`);
  await page.evaluate(() => window.stepscope.load("?s=nlse&case=breather&solver=dop853ip&rtol=1e-7"));
  await page.waitForFunction(sameAsLink, null, { timeout: 10000 }).catch(() => {});
  const beforeReload = await page.evaluate(() => window.stepscope.diagnostics());
  await page.reload();
  await page.waitForFunction(() => window.stepscope && window.stepscope.ready, null, { timeout: 120000 });
  const reloaded = await page.evaluate(() => window.stepscope.diagnostics());
  check(reloaded.link === beforeReload.link && reloaded.notice === null, `a reload restores the run's settings (${reloaded.link})`);
  await page.goto(base + "?s=nlse&n=-5");
  await page.waitForFunction(() => window.stepscope && window.stepscope.ready, null, { timeout: 120000 });
  const opened = await page.evaluate(() => window.stepscope.diagnostics());
  check(/could not be loaded: bad value for 'n': must be an integer from 256 to 65536, got '-5'; the (last run|default scenario) is shown instead/.test(opened.notice ?? ""),
    `a hostile link in the address says so on opening: "${opened.notice}"`);
  await page.waitForFunction(sameAsLink, null, { timeout: 10000 }).catch(() => {});
  check(await page.evaluate(sameAsLink), "and the address bar then holds the run that is shown");
  await browser.close();

  // 5. Without WebGPU the page still runs, on WebGL2, and says so.
  const gl = await openPage([...COMMON, "--disable-features=WebGPU", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"], "?s=nlse&case=mi&solver=strang");
  const glBackend = await gl.page.evaluate(() => window.stepscope.backend());
  console.log(`fallback backend: ${glBackend}`);
  check(/Gl/.test(glBackend), "falls back to WebGL2 when WebGPU is unavailable");
  const glLoaded = await wasmOf(gl.page);
  check(glLoaded.length === 1 && glLoaded[0] === "stepscope_webgl_bg.wasm", `and loads the build with the WebGL back end (${glLoaded.join(", ")})`);
  await gl.page.evaluate(() => window.stepscope.step(5));
  const glD = await gl.page.evaluate(() => window.stepscope.diagnostics());
  check(glD.case === "mi" && glD.accepted === 5, "and runs the scenario on the CPU path");
  const noGpu = await gl.page.evaluate(() => { try { window.stepscope.compute("gpu"); return null; } catch (e) { return String(e); } });
  check(noGpu && /WebGPU/.test(noGpu), `asking for GPU compute without WebGPU is refused with a reason: ${noGpu}`);
  const glAfter = await gl.page.evaluate(() => window.stepscope.diagnostics());
  check(glAfter.compute === "cpu-f64" && glAfter.accepted === 5, "and the CPU run continues untouched");
  await gl.browser.close();
} catch (e) {
  console.error(e);
  failures++;
} finally {
  server.close();
}
console.log(failures === 0 ? "browser e2e: all checks passed" : `browser e2e: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
