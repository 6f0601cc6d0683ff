/* Starts the wasm module of a trunk-built page (the widget page, the demo and gallery). Trunk's
   own loader is an inline <script type="module">, which a strict CSP (script-src 'self') refuses;
   this external file does the same work. The content-hashed names of the module and the wasm
   come from its own tag (Trunk.toml `pattern_script`); the post-build step gives this file a
   hashed name too (scripts/post-build.mjs). */
const tag = document.querySelector("script[data-wasm]");
const url = (name) => new URL(name, document.baseURI).href; // as the page's own links resolve
const mod = await import(url(tag.dataset.js));
await mod.default({ module_or_path: url(tag.dataset.wasm) });
