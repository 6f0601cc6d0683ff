// Trunk post-build hook: minifies embed.js in release builds (goal: <= 3 KB gzipped; measured by
// `cargo xtask bench`). The readable source stays in public/embed.js.
import { access, readFile, writeFile } from "node:fs/promises";

const dir = process.env.TRUNK_STAGING_DIR;
const file = `${dir}/embed.js`;
if (process.env.TRUNK_PROFILE !== "release" || !dir) process.exit(0);
try {
  await access(file);
} catch {
  process.exit(0); // the demo bundle has no embed.js
}
const { minify } = await import("terser");
const source = await readFile(file, "utf8");
const out = await minify(source, { compress: { passes: 2 }, mangle: { toplevel: true }, toplevel: true });
await writeFile(file, out.code);
console.log(`embed.js: ${source.length} -> ${out.code.length} bytes`);
