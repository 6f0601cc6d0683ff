// Trunk post-build hook (every build, `trunk serve` included), in trunk's staging directory:
//
// 1. boot.js (the external module that starts the wasm: no inline script) gets a content-hashed
//    name like the wasm, js and css trunk hashed, and index.html points at it.
// 2. The widget bundle only: the hashed names of its module, wasm and stylesheet, read from the
//    built index.html, replace the placeholder in embed.js, so embed.js (a stable name) finds
//    them in inline mode and can preload them. They are also written to manifest.json (for
//    tools: the bench, a deploy script).
// 3. Release builds: embed.js minified (terser; goal <= 3 KB gzipped), and precompressed
//    copies (`.br`, `.gz`) of every text and wasm file, for servers and CDNs that serve them.
import { createHash } from "node:crypto";
import { readFile, readdir, rename, stat, writeFile } from "node:fs/promises";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) process.exit(0);
const release = process.env.TRUNK_PROFILE === "release";
const exists = (f) => stat(`${dir}/${f}`).then(() => true, () => false);

let html = await readFile(`${dir}/index.html`, "utf8");

// 1. boot.js -> boot-<hash>.js
if (await exists("boot.js")) {
  const boot = await readFile(`${dir}/boot.js`);
  const hashed = `boot-${createHash("sha256").update(boot).digest("hex").slice(0, 16)}.js`;
  await rename(`${dir}/boot.js`, `${dir}/${hashed}`);
  html = html.replace(/(<script[^>]* src="[^"]*?)boot\.js"/, `$1${hashed}"`);
  await writeFile(`${dir}/index.html`, html);
}

// 2. The names embed.js needs (relative to the directory embed.js is served from).
if (await exists("embed.js")) {
  const attr = (name) => (html.match(new RegExp(`data-${name}="([^"]+)"`)) || [])[1];
  const css = [...html.matchAll(/<link[^>]*rel="?stylesheet"?[^>]*>/g)]
    .map((m) => (m[0].match(/href="([^"]+)"/) || [])[1])
    .find((h) => /widget[^/]*\.css$/.test(h || ""));
  const rel = (p) => p && p.replace(/^.*\//, "");
  const files = { js: rel(attr("js")), wasm: rel(attr("wasm")), css: rel(css) };
  if (!files.js || !files.wasm || !files.css) {
    console.error("post-build: could not find the widget's files in index.html", files);
    process.exit(1);
  }
  const PLACEHOLDER = "/*@FILES@*/null";
  let embed = await readFile(`${dir}/embed.js`, "utf8");
  if (!embed.includes(PLACEHOLDER)) {
    console.error(`post-build: embed.js lacks the placeholder ${PLACEHOLDER}`);
    process.exit(1);
  }
  embed = embed.replace(PLACEHOLDER, JSON.stringify(files));
  if (release) {
    const { minify } = await import("terser");
    const before = embed.length;
    const out = await minify(embed, { compress: { passes: 2 }, mangle: { toplevel: true }, toplevel: true });
    embed = out.code;
    console.log(`embed.js: ${before} -> ${embed.length} bytes`);
  }
  await writeFile(`${dir}/embed.js`, embed);
  await writeFile(`${dir}/manifest.json`, JSON.stringify(files, null, 2) + "\n");
  console.log("post-build: embed.js finds", files);
}

// 3. Precompressed copies (release): what a server or CDN can send as-is.
if (release) {
  for (const name of await readdir(dir)) {
    if (!/\.(wasm|js|css|html|json|ts)$/.test(name)) continue;
    const data = await readFile(`${dir}/${name}`);
    await writeFile(`${dir}/${name}.gz`, gzipSync(data, { level: 9 }));
    await writeFile(
      `${dir}/${name}.br`,
      brotliCompressSync(data, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      }),
    );
  }
}
