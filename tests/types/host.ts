// An example host script, type-checked against public/colloquy.d.ts in `cargo xtask test`.
// The seed documents' samples appear as written; `@ts-expect-error` lines prove misuse fails.

declare const analytics: { track(name: string, props?: object): void };
declare const errorTracker: { capture(error: unknown): void };
declare const mixpanel: { track(name: string, data?: object): void };
declare function gtag(...args: unknown[]): void;
declare function submitToCRM(data: unknown): void;

// DESIGN.md: the native API.
Colloquy.init({ mode: "iframe", locale: "en", agent: { kind: "demo" } }).then((instance) =>
  instance.on("pre:send", (ev) => {
    ev.message.message.content = ev.message.message.content.trim();
  }),
);

// The HTTP agent with its live event stream open for the whole conversation.
Colloquy.init({ agent: { kind: "http", url: "https://agent.example.com/api", events: "always" } });
// @ts-expect-error: `agent.events` is "handoff" or "always"
Colloquy.init({ agent: { kind: "http", url: "/api", events: "sometimes" } });

// Seed 000: ChatSpark widget events.
window.ChatSpark.on("user-message", function (payload) {
  console.log("User sent:", payload.message);
});
window.ChatSpark.on("user-message", function (data) {
  console.log("User message:", data.message);
  analytics.track("chat_message_sent", { text: data.message });
});
window.ChatSpark.on("agent-response", function (data) {
  console.log("Agent replied:", data.message);
});
window.ChatSpark.on("conversation-started", function (data) {
  console.log("New conversation:", data.conversationId);
});
window.ChatSpark.on("lead-captured", function (data) {
  console.log("Lead:", data.email, data.name);
  fetch("/api/leads", { method: "POST", body: JSON.stringify(data), headers: { "Content-Type": "application/json" } });
});
window.ChatSpark.on("action-triggered", function (data) {
  if (data.actionId === "book_demo") {
    window.location.href = "/book-demo?source=chat";
  }
});
const handler = function (data: Colloquy.ChatSparkUserMessage) {
  console.log(data);
};
window.ChatSpark.on("user-message", handler);
window.ChatSpark.off("user-message", handler);

// Seed 001: ChatSpark custom actions.
const sparkInstance = ChatSpark({
  chatbotId: "YOUR_ID",
  data: {
    actions: [
      { id: "book_demo", type: "button", label: "Book a demo", primary: true },
      {
        id: "contact_sales",
        type: "form",
        fields: [
          { key: "name", label: "Name", required: true },
          { key: "email", label: "Email", required: true, type: "email" },
        ],
      },
    ],
  },
});
sparkInstance.changeView("mainWindow");
window.ChatSpark.on("action-triggered", function (payload) {
  const { actionId, actionType, data } = payload;
  if (actionId === "book_demo") {
    window.location.href = "https://calendly.com/your-team/demo";
    return;
  }
  if (actionId === "contact_sales" && actionType === "form") {
    submitToCRM(data);
  }
});
window.ChatSpark.on("action-triggered", async function (payload) {
  if (payload.actionId !== "newsletter_signup") return;
  try {
    const res = await fetch("https://your-api.com/webhooks/newsletter", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: payload.data.email, source: "chat_widget", chatbotId: "YOUR_ID" }),
    });
    if (!res.ok) throw new Error("Signup failed");
  } catch (err) {
    console.error("Newsletter signup failed:", err);
  }
});

// Seed 002: Chask callbacks and analytics.
ChaskWidget.init({
  apiKey: "your-api-key",
  organizationId: "your-org-id",
  callbacks: {
    onReady: () => {
      console.log("Widget is ready!");
    },
    onOpen: () => {
      console.log("Chat window opened");
      analytics.track("chat_opened");
    },
    onClose: () => {
      console.log("Chat window closed");
    },
    onMessageSent: (message) => {
      console.log("Message sent:", message.content);
    },
    onMessageReceived: (message) => {
      console.log("New message from:", message.sender);
      if (!document.hasFocus()) {
        new Notification("New message", { body: message.content });
      }
    },
    onError: (error) => {
      console.error("Widget error:", error.message);
      errorTracker.capture(error);
    },
    onUserUpdated: (user) => {
      console.log("User updated:", user.name);
    },
    onAnalyticsEvent: (event) => {
      gtag("event", event.type, { ...event.data, timestamp: event.timestamp.toISOString() });
      mixpanel.track(event.type, event.data);
      fetch("/api/analytics", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(event) });
      console.log("[Analytics]", event.type, event.data);
    },
  },
});

// Seed 003: saEvents.
if (window.saEvents) {
  window.saEvents.subscribe((event) => {
    console.log(`Chat event: ${event.type}`, event.data);
  });
}

// Seed 004: watsonx-style instance events, pre:* rewrites.
async function watsonx(instance: Colloquy.Instance) {
  instance.on("chat:ready", (event) => console.log(event.type));
  instance.on("pre:receive", (event) => {
    event.message.content = event.message.content.map((item) => ({ ...item, text: item.text?.toUpperCase() }));
  });
  instance.on("pre:stream:delta", (event) => {
    event.delta.content = [];
  });
  instance.on("pre:threadLoaded", (event) => {
    event.messages = event.messages.filter((m) => m.sender === "user");
  });
  instance.on("view:pre:change", (event) => {
    event.newViewState.mainWindow = event.reason !== "chatLoaded";
  });
  instance.on("userDefinedResponse", (event) => {
    event.hostElement.textContent = String(event.contentItem.user_defined);
  });
  instance.on("customEvent", (event) => console.log(event.customEventName, event.contentItem.label));
  instance.on("feedback", (event) => console.log(event.isPositive, event.interactionType, event.categories));
  instance.on("authTokenNeeded", async (event) => {
    event.authToken = await Promise.resolve("fresh-token");
  });
  instance.once("receive", (event) => console.log(event.message.id));
  const off = instance.on("analytics", (event) => console.log(event.type, event.timestamp + 1));
  off();
  instance.on("*", (event) => console.log(event.type));
  instance.hostElement.addEventListener("colloquy:send", (e) => console.log(e.detail.message.message.content));
  await instance.changeView({ mainWindow: true });
  await instance.setLocale("es");
  await instance.loadThread([{ id: "a", sender: "user", content: [{ id: "a0", type: "text", text: "hi" }], message_state: {} }]);

  // @ts-expect-error: unknown event names are rejected
  instance.on("not-an-event", () => {});
  // @ts-expect-error: payloads are typed
  instance.on("send", (event) => event.message.nope);
  // @ts-expect-error: changeView takes a view name or a view state
  instance.changeView("sidebar");
}
void watsonx;
