// Shared by the browser test (e2e.mjs) and the frame benchmark (bench-frames.mjs): dist/
// served on 127.0.0.1 (WebGPU needs a secure context) and the Chromium flags verified in
// ../shared/TOOLCHAIN.md (WebGPU on SwiftShader, a presented canvas).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const MIME = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".png": "image/png" };

/// Serves dist/; resolves to { server, base } with base = "http://127.0.0.1:PORT/".
export async function serveDist() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const file = path.join(dist, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    const type = MIME[path.extname(file)] ?? "application/octet-stream";
    // The precompressed copy build-web.sh wrote, as scripts/serve.py sends it.
    const accepted = req.headers["accept-encoding"] ?? "";
    for (const [encoding, suffix] of [["br", ".br"], ["gzip", ".gz"]]) {
      if (accepted.includes(encoding) && fs.existsSync(file + suffix)) {
        res.writeHead(200, { "Content-Type": type, "Content-Encoding": encoding, "Vary": "Accept-Encoding" });
        fs.createReadStream(file + suffix).pipe(res);
        return;
      }
    }
    res.writeHead(200, { "Content-Type": type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, base: `http://127.0.0.1:${server.address().port}/` };
}

export const COMMON = ["--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--disable-quic"];
export const WEBGPU = ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"];
