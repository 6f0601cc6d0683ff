// Host script of the XSS pages (xss.html, and xss-strict.html under a strict CSP): the widget
// config comes from ?config=<JSON>; the instance and a count of finished replies are exposed.
window.replies = 0;
window.errors = [];
const config = JSON.parse(new URLSearchParams(location.search).get("config") || "{}");
config.onLoad = (instance) => {
  window.instance = instance;
  instance.on("receive", () => window.replies++);
  instance.on("error", (e) => window.errors.push(e.code + ": " + e.message));
};
Colloquy.init(config);
