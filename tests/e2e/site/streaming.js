// ?api=<agent base URL>&mode=iframe|inline. One pre:stream:delta handler that counts the deltas
// and checks that `event.message` is exactly the deltas before it; long tasks are recorded.
const params = new URLSearchParams(location.search);
window.stream = { deltas: 0, text: "", mismatches: 0, firstMismatch: null, received: null };
window.longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.longTasks.push(Math.round(e.duration));
}).observe({ type: "longtask", buffered: true });
Colloquy.init({
  mode: params.get("mode") || "iframe",
  agent: { kind: "http", url: params.get("api") },
  persist: "none",
  onLoad: (instance) => {
    window.instance = instance;
    instance.on("pre:stream:delta", (event) => {
      const s = window.stream;
      const soFar = event.message && event.message.content[0] && event.message.content[0].text;
      if (soFar !== s.text) {
        s.mismatches++;
        if (!s.firstMismatch) s.firstMismatch = { at: s.deltas, got: String(soFar).slice(-40), want: s.text.slice(-40) };
      }
      s.deltas++;
      for (const c of event.delta.content) s.text += c.text;
    });
    instance.on("receive", (event) => {
      window.stream.received = event.message.content[0].text;
    });
  },
});
