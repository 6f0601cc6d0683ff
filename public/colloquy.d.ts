// Colloquy host API. GENERATED from the Rust types by `cargo xtask types`; do not edit.
// Use from a host script: /// <reference path="colloquy.d.ts" />

declare namespace Colloquy {
  type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

  /**
   * Which of the two top-level parts of the widget are visible.
   */
  type ViewState = {
  /**
   * The launcher bubble.
   */
  launcher: boolean,
  /**
   * The main chat window.
   */
  mainWindow: boolean, };

  /**
   * Why the view changed (seed 004 lists the first four; `mainWindowClosed` is the close button
   * and Escape).
   */
  type ViewChangeReason = "launcherClicked" | "chatLoaded" | "calledChangeView" | "mainWindowMinimized" | "mainWindowClosed";

  /**
   * `view:pre:change` / `view:change` payload.
   */
  type ViewChange = {
  /**
   * Why the view changes.
   */
  reason: ViewChangeReason,
  /**
   * The state before the change.
   */
  oldViewState: ViewState,
  /**
   * The state after the change; a `view:pre:change` handler may rewrite it.
   */
  newViewState: ViewState, };

  /**
   * View properties (`view:properties:*`): only the ones that change are present.
   */
  type ViewProperties = {
  /**
   * The window fills the height of the page (and more of its width).
   */
  maximized: boolean, };

  /**
   * A file attached to a user message.
   */
  type Attachment = {
  /**
   * File name.
   */
  name: string,
  /**
   * MIME type.
   */
  fileType: string,
  /**
   * Size in bytes.
   */
  fileSize: number, };

  /**
   * The user's text inside an outgoing message (`message.message` in seed 004).
   */
  type MessageInput = {
  /**
   * Always `"user"`.
   */
  role: string,
  /**
   * The text; a `pre:send` handler may rewrite it.
   */
  content: string, };

  /**
   * The payload of `pre:send` and `send`: `message.message.content` is the text.
   */
  type OutgoingMessage = {
  /**
   * Message id, stable from `pre:send` to delivery status updates.
   */
  id: string,
  /**
   * The content (seed 004: `message.message.content`).
   */
  message: MessageInput,
  /**
   * Conversation (thread) id.
   */
  threadId: string,
  /**
   * Epoch milliseconds.
   */
  timestamp: number,
  /**
   * Attached files.
   */
  attachments?: Array<Attachment>, };

  /**
   * One item of an agent message (`message.content[]` in seed 004).
   *
   * `type` is `text` (markdown), `button` (a response button: `label`, `value`, `buttonType`
   * `post_back` sends the value as the user's reply, `custom_event` only fires the event),
   * `user_defined` (rendered by the host through `userDefinedResponse`), or anything else
   * (treated like `user_defined`). An item may name its type `response_type` instead, as
   * watsonx writes it (seed 004's delta items); it is handed back with the field it came with.
   */
  type ContentItem = {
  /**
   * Item id.
   */
  id: string,
  /**
   * `text`, `button`, `user_defined`, ... (this or `response_type`).
   */
  type?: string,
  /**
   * watsonx's name for `type` (this or `type`).
   */
  response_type?: string,
  /**
   * Text of the item, markdown for `text`.
   */
  text?: string,
  /**
   * Button label.
   */
  label?: string,
  /**
   * Button value.
   */
  value?: string,
  /**
   * `post_back` (default) or `custom_event`.
   */
  buttonType?: string,
  /**
   * Data for the host's renderer (`user_defined` items).
   */
  user_defined?: JsonValue, };

  /**
   * Who wrote an agent message.
   */
  type AgentKind = "bot" | "human";

  /**
   * An agent (or human agent) message: the payload of `pre:receive` and `receive`.
   */
  type AgentMessage = {
  /**
   * Message id.
   */
  id: string,
  /**
   * Conversation (thread) id.
   */
  threadId: string,
  /**
   * Content items; a `pre:receive` handler may rewrite them.
   */
  content: Array<ContentItem>,
  /**
   * Epoch milliseconds.
   */
  timestamp: number,
  /**
   * AI or human agent.
   */
  from: AgentKind,
  /**
   * The human agent's name.
   */
  agentName?: string, };

  /**
   * Delivery status of a message (seed 002's `ChatMessage.status`).
   */
  type Status = "sending" | "sent" | "delivered" | "read" | "failed" | "queued";

  /**
   * `messageState` of a thread message: what the widget keeps besides the content. Keys the widget
   * does not know are kept as they are.
   */
  type MessageState = {
  /**
   * Epoch milliseconds.
   */
  timestamp?: number,
  /**
   * Delivery status; a value the widget does not know reads as none (delivered).
   */
  status?: Status,
  /**
   * Who wrote it: `user`, `agent` or `human`.
   */
  from?: string,
  /**
   * The human agent's name (human messages).
   */
  agentName?: string,
  /**
   * Files attached (user messages).
   */
  attachments?: Array<Attachment>, };

  /**
   * A message of a loaded thread (`pre:threadLoaded`, seed 004).
   */
  type ThreadMessage = {
  /**
   * Message id.
   */
  id: string,
  /**
   * `user` or `response`.
   */
  sender: string,
  /**
   * Content items (`[{type: "text", text}]` for user messages).
   */
  content: Array<ContentItem>,
  /**
   * State of the message: `timestamp`, `status`, `from`, `agentName`, `attachments`.
   */
  message_state?: MessageState, };

  /**
   * One chunk of a streamed reply (`delta.content[]` in seed 004).
   */
  type DeltaItem = {
  /**
   * Item id.
   */
  id: string,
  /**
   * Always `text` for streamed chunks.
   */
  response_type: string,
  /**
   * The incremental text.
   */
  text: string, };

  /**
   * `delta` of `pre:stream:delta`.
   */
  type Delta = {
  /**
   * `assistant`.
   */
  role: string,
  /**
   * The chunk's items; a handler may set `[]` to suppress the chunk.
   */
  content: Array<DeltaItem>, };

  /**
   * A `pre:stream:delta` payload.
   */
  type StreamDelta = {
  /**
   * The message being streamed.
   */
  messageId: string,
  /**
   * Conversation (thread) id.
   */
  threadId: string,
  /**
   * The agent run producing the stream.
   */
  runId: string,
  /**
   * This chunk.
   */
  delta: Delta,
  /**
   * The message so far (all previous deltas accumulated). The widget sends it with the first
   * delta of a message only (no text yet); for every later delta the host side (`embed.js`)
   * fills it in from the deltas before, so a delta costs what it carries, however long the
   * message already is (docs/bridge.md, "Streams"). Host handlers always see it.
   */
  message: AgentMessage, };

  /**
   * Where an `action:triggered` came from.
   */
  type ActionSource = "config" | "response";

  /**
   * `action:triggered`: an action button, form or link, or a response button.
   */
  type ActionTriggered = {
  /**
   * The action id (a response button's value).
   */
  actionId: string,
  /**
   * `button`, `form` or `link`.
   */
  actionType: string,
  /**
   * Form values, a link's `url`, a button's `label`/`value`.
   */
  data: Record<string, any>,
  /**
   * Config action or response button.
   */
  source: ActionSource,
  /**
   * The response button item (response buttons only).
   */
  contentItem?: ContentItem,
  /**
   * The message holding the button (response buttons only).
   */
  message?: AgentMessage, };

  /**
   * How a conversation ended.
   */
  type EndReason = "user" | "agent" | "host" | "restart";

  /**
   * `feedback` (seed 004).
   */
  type Feedback = {
  /**
   * The content item rated.
   */
  messageItem: ContentItem,
  /**
   * The message rated.
   */
  message: AgentMessage,
  /**
   * Thumbs up (`true`) or down.
   */
  isPositive: boolean,
  /**
   * `button` (thumbs) or `details` (the popup was submitted).
   */
  interactionType: string,
  /**
   * Free text from the details popup.
   */
  text?: string,
  /**
   * Categories chosen in the details popup.
   */
  categories?: Array<string>, };

  /**
   * Error codes: the four of seed 002 and Colloquy's own.
   */
  type ErrorCode = "CONNECTION_ERROR" | "AUTH_ERROR" | "SEND_ERROR" | "NETWORK_ERROR" | "CONFIG_ERROR" | "HANDLER_ERROR" | "HANDLER_TIMEOUT" | "PROTOCOL_ERROR" | "INTERNAL_ERROR";

  /**
   * The `error` payload (seed 002's `WidgetError`).
   */
  type WidgetError = {
  /**
   * Machine-readable code.
   */
  code: ErrorCode,
  /**
   * Human-readable message.
   */
  message: string,
  /**
   * Extra details.
   */
  details?: JsonValue, };

  /**
   * Every canonical event. Serialized with `type` set to the canonical name.
   *
   * Events are never deserialized whole: what a `pre:*` handler may change is read back field
   * by field in [`Event::with_rewrite`].
   */
  type Event = { "type": "chat:loaded",
  /**
   * Instance name from the config.
   */
  chatInstanceName: string, } | { "type": "chat:visible",
  /**
   * Instance name from the config.
   */
  chatInstanceName: string, } | { "type": "chat:ready" } | { "type": "view:pre:change" } & ViewChange | { "type": "view:change" } & ViewChange | { "type": "view:properties:pre:change",
  /**
   * The properties about to change.
   */
  newViewState: ViewProperties, } | { "type": "view:properties:change",
  /**
   * The properties that changed.
   */
  newViewState: ViewProperties, } | { "type": "conversation:started",
  /**
   * Conversation id.
   */
  conversationId: string, } | { "type": "conversation:ended",
  /**
   * Conversation id.
   */
  conversationId: string,
  /**
   * Who ended it.
   */
  reason: EndReason, } | { "type": "pre:restartConversation",
  /**
   * Set by a handler to keep the conversation.
   */
  cancel?: boolean, } | { "type": "restartConversation" } | { "type": "pre:threadLoaded",
  /**
   * The messages to load.
   */
  messages: Array<ThreadMessage>, } | { "type": "pre:send",
  /**
   * The outgoing message.
   */
  message: OutgoingMessage,
  /**
   * Set by a handler to cancel the send.
   */
  cancel?: boolean, } | { "type": "send",
  /**
   * The message as sent.
   */
  message: OutgoingMessage, } | { "type": "pre:stream:delta" } & StreamDelta | { "type": "pre:receive",
  /**
   * The agent message.
   */
  message: AgentMessage, } | { "type": "receive",
  /**
   * The message as rendered.
   */
  message: AgentMessage, } | { "type": "handoff:queued",
  /**
   * Conversation id.
   */
  conversationId: string,
  /**
   * Place in the queue, when known.
   */
  position?: number, } | { "type": "handoff:connected",
  /**
   * Conversation id.
   */
  conversationId: string,
  /**
   * The agent's display name.
   */
  agentName: string, } | { "type": "action:triggered" } & ActionTriggered | { "type": "lead:captured",
  /**
   * Field values by key (`name`, `email`, `phone`, custom fields).
   */
  lead: Record<string, string>, } | { "type": "userDefinedResponse",
  /**
   * The item.
   */
  contentItem: ContentItem,
  /**
   * The whole message.
   */
  message: AgentMessage, } | { "type": "feedback" } & Feedback | { "type": "attachment:uploaded" } & Attachment | { "type": "user:updated",
  /**
   * The user, after the update.
   */
  user: Record<string, any>, } | { "type": "authTokenNeeded",
  /**
   * The expired token (or null); set it to the new token.
   */
  authToken: string | null, } | { "type": "error" } & WidgetError | { "type": "unread:change",
  /**
   * Messages not seen yet.
   */
  count: number, };

  /**
   * watsonx `customEvent` for a response button (seed 004).
   */
  type CustomEvent = {
  /**
   * Always `customEvent`.
   */
  type: string,
  /**
   * `buttonItemClicked`.
   */
  customEventName: string,
  /**
   * The button item.
   */
  contentItem: ContentItem,
  /**
   * The message holding it.
   */
  message: AgentMessage, };

  /**
   * An analytics event: Chask `onAnalyticsEvent` (with `timestamp` a `Date`) and the native
   * `analytics` event (epoch milliseconds). Message text only when `analytics.includeText`.
   */
  type AnalyticsEvent = {
  /**
   * `widget_loaded`, `widget_opened`, `widget_closed`, `message_sent`, `message_received`,
   * `attachment_uploaded`, `session_started`, `error_occurred`.
   */
  type: string,
  /**
   * When it happened.
   */
  timestamp: number,
  /**
   * Event-specific data.
   */
  data?: Record<string, any>, };

  /**
   * ChatSpark `user-message` (seed 000).
   */
  type ChatSparkUserMessage = {
  /**
   * The text the user sent.
   */
  message: string,
  /**
   * Conversation id.
   */
  conversationId: string, };

  /**
   * ChatSpark `agent-response` (seed 000).
   */
  type ChatSparkAgentResponse = {
  /**
   * The agent's text.
   */
  message: string,
  /**
   * Conversation id.
   */
  conversationId: string,
  /**
   * Message id.
   */
  messageId: string, };

  /**
   * ChatSpark `conversation-started` (seed 000); also Chask `session_started` data.
   */
  type ChatSparkConversationStarted = {
  /**
   * Conversation id.
   */
  conversationId: string, };

  /**
   * ChatSpark `action-triggered` (seeds 000, 001).
   */
  type ChatSparkActionTriggered = {
  /**
   * Action id.
   */
  actionId: string,
  /**
   * `button`, `form` or `link`.
   */
  actionType: string,
  /**
   * Form values (forms), `{url}` (links), `{label, value}` (buttons).
   */
  data: Record<string, any>, };

  /**
   * Chask `ChatMessage` (seed 002). `timestamp` is a JS `Date` on the host side.
   */
  type ChaskChatMessage = {
  /**
   * Message id.
   */
  id: string,
  /**
   * Text.
   */
  content: string,
  /**
   * `user`, `agent` or `system`.
   */
  sender: "user" | "agent" | "system",
  /**
   * When the message was sent.
   */
  timestamp: Date,
  /**
   * `sending`, `sent`, `delivered`, `read` or `failed`.
   */
  status: "sending" | "sent" | "delivered" | "read" | "failed", };

  /**
   * A saEvents event (seed 003): `{type, data, timestamp}` with epoch milliseconds.
   */
  type SaEvent = {
  /**
   * `CHAT_LOADED`, `CHAT_VISIBLE`, `CONTACT_STARTED`, `CONTACT_ENDED`, `TRANSFER_TO_QUEUE`,
   * `CONNECT_TO_AGENT`.
   */
  type: string,
  /**
   * `{chatInstanceName}` or `{contactId}`.
   */
  data: { chatInstanceName: string } | { contactId: string },
  /**
   * Epoch milliseconds.
   */
  timestamp: number, };

  /**
   * Where the widget runs.
   */
  type Mode = "iframe" | "inline";

  /**
   * When the widget keeps the conversation's live event stream open (`agent.events`).
   */
  type LiveEvents = "handoff" | "always";

  /**
   * Which agent answers: a `kind`-tagged object.
   */
  type AgentConfig = { "kind": "demo",
  /**
   * Milliseconds between streamed chunks (default 35).
   */
  chunkMs?: number,
  /**
   * Milliseconds the agent "thinks" (typing shown) before each reply (default 250).
   */
  thinkMs?: number, } | { "kind": "http",
  /**
   * Base URL of the agent API.
   */
  url: string,
  /**
   * When the conversation's live event stream is open: during a handoff (default) or
   * for the whole conversation.
   */
  events?: LiveEvents, };

  /**
   * Left or right corner.
   */
  type Position = "left" | "right";

  /**
   * Light, dark, or following the visitor's system.
   */
  type Scheme = "auto" | "light" | "dark";

  /**
   * Look and feel.
   */
  type Theme = {
  /**
   * Brand color (any CSS color without `;{}`).
   */
  brandColor?: string,
  /**
   * Corner radius in px.
   */
  radius?: number,
  /**
   * Font family.
   */
  font?: string,
  /**
   * Color scheme.
   */
  scheme?: Scheme, };

  /**
   * The kind of a form field: the input it renders and how it is checked.
   */
  type FieldKind = "text" | "email" | "tel" | "textarea";

  /**
   * A field of an action form or the lead form.
   */
  type Field = {
  /**
   * Key in the submitted data.
   */
  key: string,
  /**
   * Visible label (the field's accessible name).
   */
  label: string,
  /**
   * Must be filled in.
   */
  required?: boolean,
  /**
   * `text` (default), `email`, `tel`, `textarea`.
   */
  type?: FieldKind, };

  /**
   * The kind of a custom action (seed 001).
   */
  type ActionKind = "button" | "form" | "link";

  /**
   * A custom action (seed 001).
   */
  type Action = {
  /**
   * Id reported as `actionId`.
   */
  id: string,
  /**
   * `button`, `form` or `link`.
   */
  type: ActionKind,
  /**
   * Button or link text; a form's submit button and title.
   */
  label?: string,
  /**
   * Primary styling.
   */
  primary?: boolean,
  /**
   * Link target (`http:`/`https:` only).
   */
  url?: string,
  /**
   * Form fields.
   */
  fields?: Array<Field>, };

  /**
   * When the launcher shows (visibility rules).
   */
  type Visibility = {
  /**
   * URL patterns (`*` matches anything; a leading `!` excludes). Empty: every page.
   */
  urls?: Array<string>,
  /**
   * Opening hours in the visitor's local time.
   */
  schedule?: Schedule, };

  /**
   * Opening hours.
   */
  type Schedule = {
  /**
   * Days of the week, 0 = Sunday. Empty: every day.
   */
  days?: Array<number>,
  /**
   * Opening time, `HH:MM`.
   */
  from: string,
  /**
   * Closing time, `HH:MM` (exclusive).
   */
  to: string, };

  /**
   * Analytics options.
   */
  type Analytics = {
  /**
   * Analytics payloads may carry message text.
   */
  includeText?: boolean,
  /**
   * Also push analytics events to `window.dataLayer`.
   */
  dataLayer?: boolean,
  /**
   * Also call `gtag("event", type, data)`.
   */
  gtag?: boolean, };

  /**
   * What the host page shows of unread messages besides the launcher's badge (both off by
   * default; applied by embed.js on the host page, in both modes).
   */
  type Unread = {
  /**
   * Prefix the page's title with the count: `(2) Shop`.
   */
  title?: boolean,
  /**
   * A browser notification for a reply that arrives while the page is hidden; permission is
   * asked when the visitor first sends a message.
   */
  notifications?: boolean, };

  /**
   * Attachment limits.
   */
  type Attachments = {
  /**
   * Allow attaching files at all.
   */
  enabled?: boolean,
  /**
   * Largest file in bytes.
   */
  maxSize?: number,
  /**
   * Accepted MIME types (`image/*` style wildcards).
   */
  types?: Array<string>, };

  /**
   * Where the conversation is kept between page loads.
   */
  type Persist = "local" | "session" | "none";

  /** A canonical event by name (the payload of `instance.on(name, fn)`). */
  type EventOf<K extends Event["type"]> = Extract<Event, { type: K }>;

  /** What `instance.on/once/off` handlers receive, by event name. */
  type EventMap = { [K in Event["type"]]: EventOf<K> } & {
    /** Adds the element the host renders into (a detached mirror when cross-origin, see docs). */
    userDefinedResponse: EventOf<"userDefinedResponse"> & { hostElement: HTMLElement };
    /** watsonx: a button inside a response was clicked (`customEventName: "buttonItemClicked"`). */
    customEvent: CustomEvent;
    /** Analytics, the Chask event types; message text only with `analytics.includeText`. */
    analytics: AnalyticsEvent;
    /** Every canonical event. */
    "*": Event;
  };

  /** A handler; a returned promise is awaited (with the per-handler timeout). */
  type Handler<T> = (event: T) => void | Promise<void>;

  /** ChatSpark `.on(name, fn)` events (seeds 000, 001). */
  interface ChatSparkEventMap {
    "user-message": ChatSparkUserMessage;
    "agent-response": ChatSparkAgentResponse;
    "conversation-started": ChatSparkConversationStarted;
    "lead-captured": { email?: string; name?: string; phone?: string; [field: string]: string | undefined };
    "action-triggered": ChatSparkActionTriggered;
  }

  /** Chask `ChatMessage` with its `timestamp` as a `Date` (seed 002). */
  type ChaskMessage = Omit<ChaskChatMessage, "timestamp"> & { timestamp: Date };

  /** Chask `AnalyticsEvent` with its `timestamp` as a `Date` (seed 002). */
  type ChaskAnalyticsEvent = Omit<AnalyticsEvent, "timestamp"> & { timestamp: Date };

  /** Chask callbacks (seed 002). */
  interface ChaskCallbacks {
    onReady?: () => void | Promise<void>;
    onOpen?: () => void | Promise<void>;
    onClose?: () => void | Promise<void>;
    onMessageSent?: (message: ChaskMessage) => void | Promise<void>;
    onMessageReceived?: (message: ChaskMessage) => void | Promise<void>;
    onError?: (error: WidgetError) => void | Promise<void>;
    onUserUpdated?: (user: Record<string, any>) => void | Promise<void>;
    onAnalyticsEvent?: (event: ChaskAnalyticsEvent) => void | Promise<void>;
  }

  /** `changeView`'s argument. */
  type ViewTarget = "launcher" | "mainWindow" | Partial<ViewState>;

  /** A running widget. Methods resolve when the widget accepted the call. */
  interface Instance {
    /** Registers a handler; returns the function that removes it. */
    on<K extends keyof EventMap>(name: K, handler: Handler<EventMap[K]>): () => void;
    /** Registers a handler that runs once. */
    once<K extends keyof EventMap>(name: K, handler: Handler<EventMap[K]>): void;
    /** Removes a handler (the same function reference). */
    off<K extends keyof EventMap>(name: K, handler: Handler<EventMap[K]>): void;
    changeView(view: ViewTarget): Promise<void>;
    send(text: string): Promise<void>;
    restartConversation(): Promise<void>;
    loadThread(messages: ThreadMessage[]): Promise<void>;
    updateUser(user: Record<string, any>): Promise<void>;
    updateAuthToken(token: string | null): Promise<void>;
    setLocale(locale: "en" | "es" | "pt" | "fr" | "de" | "ar" | "he" | string): Promise<void>;
    setMaximized(maximized: boolean): Promise<void>;
    endConversation(): Promise<void>;
    /** Removes the widget from the page. */
    destroy(): void;
    /** The element `colloquy:<name>` DOM events are dispatched on. */
    readonly hostElement: HTMLElement;
  }

  /** `Colloquy.init(config)`; ChatSpark's and Chask's keys are accepted too. */
  interface Config {
    mode?: Mode;
    /** When embed.js starts the widget (default "idle"; docs/host-api.md, Loading). */
    load?: "eager" | "idle" | "interaction";
    /** Inline mode: the CSP nonce embed.js puts on what it adds to the page. */
    nonce?: string;
    /** "en" | "es" | "pt" | "fr" | "de" | "ar" | "he" (a tag such as "es-MX" works); default: the browser's languages. */
    locale?: string;
    agent?: AgentConfig;
    /** `chatInstanceName` for saEvents. */
    name?: string;
    title?: string;
    greeting?: string;
    /** Per-handler timeout in ms (default 10000; 0: none). */
    handlerTimeout?: number;
    /** The launcher's corner; default: right, or left in a right-to-left locale (ar, he). */
    position?: Position;
    theme?: Theme;
    actions?: Action[];
    lead?: { fields?: Field[] };
    visibility?: Visibility;
    analytics?: Analytics;
    /** The page title's count and browser notifications of unread messages (both off by default). */
    unread?: Unread;
    /** Bearer JWT for the agent; refreshed through `authTokenNeeded`. */
    authToken?: string;
    user?: Record<string, any>;
    attachments?: Attachments;
    maxLength?: number;
    /** Where the conversation is kept between page loads (default "local"). */
    persist?: Persist;
    /** The widget's own test hooks (default false; never in production): `send("/__panic")` panics. */
    testHooks?: boolean;
    /** Called with the instance before the widget starts: register handlers here. */
    onLoad?: (instance: Instance) => void;
    /** ChatSpark (seed 001). */
    chatbotId?: string;
    data?: { actions?: Action[] };
    /** Chask (seed 002). */
    apiKey?: string;
    organizationId?: string;
    callbacks?: ChaskCallbacks;
  }

  interface Static {
    init(config?: Config): Promise<Instance>;
    readonly version: number;
  }

  interface ChatSparkStatic {
    (config: Config): Instance;
    on<K extends keyof ChatSparkEventMap>(name: K, handler: Handler<ChatSparkEventMap[K]>): () => void;
    off<K extends keyof ChatSparkEventMap>(name: K, handler: Handler<ChatSparkEventMap[K]>): void;
  }

  interface ChaskStatic {
    init(config: Config): Instance;
  }

  /** saEvents (seed 003): history since page load is replayed first. */
  interface SaEvents {
    subscribe(handler: Handler<SaEvent>): () => void;
  }
}

declare var Colloquy: Colloquy.Static;
declare var ChatSpark: Colloquy.ChatSparkStatic;
declare var ChaskWidget: Colloquy.ChaskStatic;
declare var saEvents: Colloquy.SaEvents;

interface Window {
  Colloquy: Colloquy.Static;
  ChatSpark: Colloquy.ChatSparkStatic;
  ChaskWidget: Colloquy.ChaskStatic;
  saEvents: Colloquy.SaEvents;
}

interface HTMLElementEventMap {
  "colloquy:chat:loaded": CustomEvent<Colloquy.EventOf<"chat:loaded">>;
  "colloquy:chat:visible": CustomEvent<Colloquy.EventOf<"chat:visible">>;
  "colloquy:chat:ready": CustomEvent<Colloquy.EventOf<"chat:ready">>;
  "colloquy:view:pre:change": CustomEvent<Colloquy.EventOf<"view:pre:change">>;
  "colloquy:view:change": CustomEvent<Colloquy.EventOf<"view:change">>;
  "colloquy:view:properties:pre:change": CustomEvent<Colloquy.EventOf<"view:properties:pre:change">>;
  "colloquy:view:properties:change": CustomEvent<Colloquy.EventOf<"view:properties:change">>;
  "colloquy:conversation:started": CustomEvent<Colloquy.EventOf<"conversation:started">>;
  "colloquy:conversation:ended": CustomEvent<Colloquy.EventOf<"conversation:ended">>;
  "colloquy:pre:restartConversation": CustomEvent<Colloquy.EventOf<"pre:restartConversation">>;
  "colloquy:restartConversation": CustomEvent<Colloquy.EventOf<"restartConversation">>;
  "colloquy:pre:threadLoaded": CustomEvent<Colloquy.EventOf<"pre:threadLoaded">>;
  "colloquy:pre:send": CustomEvent<Colloquy.EventOf<"pre:send">>;
  "colloquy:send": CustomEvent<Colloquy.EventOf<"send">>;
  "colloquy:pre:stream:delta": CustomEvent<Colloquy.EventOf<"pre:stream:delta">>;
  "colloquy:pre:receive": CustomEvent<Colloquy.EventOf<"pre:receive">>;
  "colloquy:receive": CustomEvent<Colloquy.EventOf<"receive">>;
  "colloquy:handoff:queued": CustomEvent<Colloquy.EventOf<"handoff:queued">>;
  "colloquy:handoff:connected": CustomEvent<Colloquy.EventOf<"handoff:connected">>;
  "colloquy:action:triggered": CustomEvent<Colloquy.EventOf<"action:triggered">>;
  "colloquy:lead:captured": CustomEvent<Colloquy.EventOf<"lead:captured">>;
  "colloquy:userDefinedResponse": CustomEvent<Colloquy.EventOf<"userDefinedResponse">>;
  "colloquy:feedback": CustomEvent<Colloquy.EventOf<"feedback">>;
  "colloquy:attachment:uploaded": CustomEvent<Colloquy.EventOf<"attachment:uploaded">>;
  "colloquy:user:updated": CustomEvent<Colloquy.EventOf<"user:updated">>;
  "colloquy:authTokenNeeded": CustomEvent<Colloquy.EventOf<"authTokenNeeded">>;
  "colloquy:error": CustomEvent<Colloquy.EventOf<"error">>;
  "colloquy:unread:change": CustomEvent<Colloquy.EventOf<"unread:change">>;
}
