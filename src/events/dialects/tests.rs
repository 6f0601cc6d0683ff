//! One row per row of DESIGN.md's event table: a canonical event and, for each dialect that has
//! it, the exact name and payload the host receives (seed shapes). DOM `CustomEvent`s are checked
//! once for every row: every event is one.

use super::*;
use crate::events::catalogue::*;

const AT: f64 = 1_637_147_056_035.0;

fn ctx() -> Context {
    Context { at: AT, analytics_text: false }
}

fn agent_message() -> AgentMessage {
    AgentMessage {
        id: "r1".into(),
        thread_id: "c1".into(),
        content: vec![ContentItem::text("r1-0", "Hello **there**"), ContentItem::button("r1-1", "Yes", "yes")],
        timestamp: 1_000.0,
        from: AgentKind::Bot,
        agent_name: None,
    }
}

fn outgoing() -> OutgoingMessage {
    OutgoingMessage {
        id: "m1".into(),
        message: MessageInput { role: "user".into(), content: "hello".into() },
        thread_id: "c1".into(),
        timestamp: 2_000.0,
        attachments: vec![],
    }
}

fn view(reason: ViewChangeReason, old: ViewState, new: ViewState) -> ViewChange {
    ViewChange { reason, old_view_state: old, new_view_state: new }
}

fn analytics_payload(kind: &str, data: Option<Value>) -> Value {
    let mut v = json!({"type": kind, "timestamp": AT});
    if let Some(d) = data {
        v["data"] = d;
    }
    v
}

/// A row: the event and what each non-DOM API receives, in delivery order. `native` rows only
/// name the canonical native delivery, whose payload is the event itself.
struct Row {
    event: Event,
    expect: Vec<(Api, &'static str, Value)>,
}

fn native(event: &Event) -> (Api, &'static str, Value) {
    (Api::Native, event.name(), event.to_value())
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut row = |event: Event, rest: Vec<(Api, &'static str, Value)>| {
        let mut expect = vec![native(&event)];
        expect.extend(rest);
        rows.push(Row { event, expect });
    };
    // chat:loaded, chat:visible: saEvents only (seed 003 examples).
    row(
        Event::ChatLoaded { chat_instance_name: "help_faq_bot".into() },
        vec![(
            Api::Sa,
            "CHAT_LOADED",
            json!({"type": "CHAT_LOADED", "timestamp": AT, "data": {"chatInstanceName": "help_faq_bot"}}),
        )],
    );
    row(
        Event::ChatVisible { chat_instance_name: "help_faq_bot".into() },
        vec![(
            Api::Sa,
            "CHAT_VISIBLE",
            json!({"type": "CHAT_VISIBLE", "timestamp": AT, "data": {"chatInstanceName": "help_faq_bot"}}),
        )],
    );
    // chat:ready: watsonx, Chask onReady(), analytics widget_loaded.
    row(
        Event::ChatReady,
        vec![
            (Api::Native, "analytics", analytics_payload("widget_loaded", None)),
            (Api::Chask, "onReady", Value::Null),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("widget_loaded", None)),
        ],
    );
    // view:pre:change: watsonx only; view:change: Chask onOpen/onClose + widget_opened/closed.
    row(Event::ViewPreChange(view(ViewChangeReason::LauncherClicked, ViewState::CLOSED, ViewState::OPEN)), vec![]);
    row(
        Event::ViewChange(view(ViewChangeReason::LauncherClicked, ViewState::CLOSED, ViewState::OPEN)),
        vec![
            (Api::Native, "analytics", analytics_payload("widget_opened", None)),
            (Api::Chask, "onOpen", Value::Null),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("widget_opened", None)),
        ],
    );
    row(
        Event::ViewChange(view(ViewChangeReason::MainWindowMinimized, ViewState::OPEN, ViewState::CLOSED)),
        vec![
            (Api::Native, "analytics", analytics_payload("widget_closed", None)),
            (Api::Chask, "onClose", Value::Null),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("widget_closed", None)),
        ],
    );
    // The launcher appearing is a view change, but not an open or close.
    row(Event::ViewChange(view(ViewChangeReason::ChatLoaded, ViewState::HIDDEN, ViewState::CLOSED)), vec![]);
    // view:properties:*: watsonx only.
    row(Event::ViewPropertiesPreChange { new_view_state: ViewProperties { maximized: true } }, vec![]);
    row(Event::ViewPropertiesChange { new_view_state: ViewProperties { maximized: true } }, vec![]);
    // conversation:started: ChatSpark, Chask session_started, saEvents CONTACT_STARTED.
    let started = json!({"conversationId": "9960459a-233f-4963-95f9-dde57ac4d9c5"});
    row(
        Event::ConversationStarted { conversation_id: "9960459a-233f-4963-95f9-dde57ac4d9c5".into() },
        vec![
            (Api::Native, "analytics", analytics_payload("session_started", Some(started.clone()))),
            (Api::ChatSpark, "conversation-started", started.clone()),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("session_started", Some(started))),
            (
                Api::Sa,
                "CONTACT_STARTED",
                json!({"type": "CONTACT_STARTED", "timestamp": AT, "data": {"contactId": "9960459a-233f-4963-95f9-dde57ac4d9c5"}}),
            ),
        ],
    );
    row(
        Event::ConversationEnded { conversation_id: "c1".into(), reason: EndReason::User },
        vec![(
            Api::Sa,
            "CONTACT_ENDED",
            json!({"type": "CONTACT_ENDED", "timestamp": AT, "data": {"contactId": "c1"}}),
        )],
    );
    // restart and thread loading: watsonx only.
    row(Event::PreRestartConversation { cancel: false }, vec![]);
    row(Event::RestartConversation, vec![]);
    row(Event::PreThreadLoaded { messages: vec![] }, vec![]);
    // pre:send: watsonx only; send: ChatSpark user-message, Chask onMessageSent + message_sent.
    row(Event::PreSend { message: outgoing(), cancel: false }, vec![]);
    let sent_data = json!({"messageId": "m1", "hasAttachments": false});
    row(
        Event::Send { message: outgoing() },
        vec![
            (Api::Native, "analytics", analytics_payload("message_sent", Some(sent_data.clone()))),
            (Api::ChatSpark, "user-message", json!({"message": "hello", "conversationId": "c1"})),
            (
                Api::Chask,
                "onMessageSent",
                json!({"id": "m1", "content": "hello", "sender": "user", "timestamp": 2_000.0, "status": "sent"}),
            ),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("message_sent", Some(sent_data))),
        ],
    );
    // streaming and pre:receive: watsonx only; receive: ChatSpark agent-response, Chask.
    row(
        Event::PreStreamDelta(StreamDelta {
            message_id: "r1".into(),
            thread_id: "c1".into(),
            run_id: "m1".into(),
            delta: Delta { role: "assistant".into(), content: vec![] },
            message: Some(agent_message()),
        }),
        vec![],
    );
    row(Event::PreReceive { message: agent_message() }, vec![]);
    let received = json!({"messageId": "r1", "sender": "agent"});
    row(
        Event::Receive { message: agent_message() },
        vec![
            (Api::Native, "analytics", analytics_payload("message_received", Some(received.clone()))),
            (
                Api::ChatSpark,
                "agent-response",
                json!({"message": "Hello **there**", "conversationId": "c1", "messageId": "r1"}),
            ),
            (
                Api::Chask,
                "onMessageReceived",
                json!({"id": "r1", "content": "Hello **there**", "sender": "agent", "timestamp": 1_000.0, "status": "delivered"}),
            ),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("message_received", Some(received))),
        ],
    );
    // handoff: saEvents.
    row(
        Event::HandoffQueued { conversation_id: "c1".into(), position: Some(2) },
        vec![(
            Api::Sa,
            "TRANSFER_TO_QUEUE",
            json!({"type": "TRANSFER_TO_QUEUE", "timestamp": AT, "data": {"contactId": "c1"}}),
        )],
    );
    row(
        Event::HandoffConnected { conversation_id: "c1".into(), agent_name: "Dana".into() },
        vec![(
            Api::Sa,
            "CONNECT_TO_AGENT",
            json!({"type": "CONNECT_TO_AGENT", "timestamp": AT, "data": {"contactId": "c1"}}),
        )],
    );
    // action:triggered from the config: ChatSpark action-triggered (seed 001's form).
    let mut form = Map::new();
    form.insert("name".into(), json!("Ada"));
    form.insert("email".into(), json!("ada@example.com"));
    row(
        Event::ActionTriggered(ActionTriggered {
            action_id: "contact_sales".into(),
            action_type: "form".into(),
            data: form,
            source: ActionSource::Config,
            content_item: None,
            message: None,
        }),
        vec![(
            Api::ChatSpark,
            "action-triggered",
            json!({"actionId": "contact_sales", "actionType": "form", "data": {"name": "Ada", "email": "ada@example.com"}}),
        )],
    );
    // ... and from a response button: also watsonx customEvent buttonItemClicked.
    let button = ContentItem::button("r1-1", "Yes", "yes");
    let mut button_data = Map::new();
    button_data.insert("label".into(), json!("Yes"));
    button_data.insert("value".into(), json!("yes"));
    row(
        Event::ActionTriggered(ActionTriggered {
            action_id: "yes".into(),
            action_type: "button".into(),
            data: button_data,
            source: ActionSource::Response,
            content_item: Some(button.clone()),
            message: Some(agent_message()),
        }),
        vec![
            (
                Api::Native,
                "customEvent",
                json!({"type": "customEvent", "customEventName": "buttonItemClicked",
                       "contentItem": serde_json::to_value(&button).unwrap(),
                       "message": serde_json::to_value(agent_message()).unwrap()}),
            ),
            (
                Api::ChatSpark,
                "action-triggered",
                json!({"actionId": "yes", "actionType": "button", "data": {"label": "Yes", "value": "yes"}}),
            ),
        ],
    );
    // lead:captured: ChatSpark with the fields flat (seed 000: {email, name, phone, ...}).
    let mut lead = Map::new();
    lead.insert("name".into(), json!("Ada"));
    lead.insert("email".into(), json!("ada@example.com"));
    lead.insert("phone".into(), json!("+1 555 0100"));
    lead.insert("company".into(), json!("Analytical Engines"));
    row(
        Event::LeadCaptured { lead },
        vec![(
            Api::ChatSpark,
            "lead-captured",
            json!({"name": "Ada", "email": "ada@example.com", "phone": "+1 555 0100", "company": "Analytical Engines"}),
        )],
    );
    // userDefinedResponse, feedback: watsonx only.
    row(
        Event::UserDefinedResponse {
            content_item: ContentItem { id: "r1-2".into(), kind: "user_defined".into(), ..Default::default() },
            message: agent_message(),
            element_id: "cq-ud-1".into(),
        },
        vec![],
    );
    row(
        Event::Feedback(Feedback {
            message_item: ContentItem::text("r1-0", "Hello"),
            message: agent_message(),
            is_positive: false,
            interaction_type: "details".into(),
            text: Some("too short".into()),
            categories: Some(vec!["Inaccurate".into()]),
        }),
        vec![],
    );
    // attachment:uploaded: Chask analytics attachment_uploaded.
    let file = json!({"fileType": "image/png", "fileSize": 2048.0});
    row(
        Event::AttachmentUploaded(Attachment {
            name: "a.png".into(),
            file_type: "image/png".into(),
            file_size: 2048.0,
        }),
        vec![
            (Api::Native, "analytics", analytics_payload("attachment_uploaded", Some(file.clone()))),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("attachment_uploaded", Some(file))),
        ],
    );
    // user:updated: Chask onUserUpdated(UserConfig).
    let mut user = Map::new();
    user.insert("name".into(), json!("Ada"));
    row(Event::UserUpdated { user }, vec![(Api::Chask, "onUserUpdated", json!({"name": "Ada"}))]);
    // unread:change: native (and DOM) only.
    row(Event::UnreadChange { count: 1 }, vec![]);
    // authTokenNeeded: watsonx only.
    row(Event::AuthTokenNeeded { auth_token: Some("expired".into()) }, vec![]);
    // error: Chask onError({code, message, details}) + error_occurred {code, message}.
    let error = WidgetError::new(ErrorCode::SendError, "Failed to send message").with_details(json!({"status": 500}));
    let occurred = json!({"code": "SEND_ERROR", "message": "Failed to send message"});
    row(
        Event::Error(error),
        vec![
            (Api::Native, "analytics", analytics_payload("error_occurred", Some(occurred.clone()))),
            (
                Api::Chask,
                "onError",
                json!({"code": "SEND_ERROR", "message": "Failed to send message", "details": {"status": 500}}),
            ),
            (Api::Chask, "onAnalyticsEvent", analytics_payload("error_occurred", Some(occurred))),
        ],
    );
    rows
}

#[test]
fn every_row_of_the_event_table_maps_to_the_seed_shapes() {
    let rows = rows();
    for row in &rows {
        let ds = deliveries(&row.event, &ctx());
        let got: Vec<(Api, &str, Value)> =
            ds.iter().filter(|d| d.api != Api::Dom).map(|d| (d.api, d.name.as_str(), d.payload.clone())).collect();
        assert_eq!(got, row.expect, "deliveries of `{}`", row.event.name());
        let dom: Vec<&Delivery> = ds.iter().filter(|d| d.api == Api::Dom).collect();
        assert_eq!(dom.len(), 1, "`{}` is one DOM event", row.event.name());
        assert_eq!((dom[0].name.as_str(), &dom[0].payload), (row.event.name(), &row.event.to_value()));
    }
    // Every canonical event has at least one row.
    for name in EVENT_NAMES {
        assert!(rows.iter().any(|r| r.event.name() == *name), "no row for `{name}`");
    }
}

#[test]
fn chask_timestamps_become_dates_and_callbacks_without_arguments_are_bare() {
    let ds = deliveries(&Event::Send { message: outgoing() }, &ctx());
    let sent = ds.iter().find(|d| d.name == "onMessageSent").unwrap();
    assert_eq!(sent.dates, ["timestamp"]);
    let analytics = ds.iter().find(|d| d.name == "onAnalyticsEvent").unwrap();
    assert_eq!(analytics.dates, ["timestamp"]);
    let ready = deliveries(&Event::ChatReady, &ctx());
    assert!(ready.iter().find(|d| d.name == "onReady").unwrap().payload.is_null());
}

#[test]
fn analytics_carry_text_only_when_the_host_opts_in() {
    let quiet = deliveries(&Event::Send { message: outgoing() }, &ctx());
    let data = &quiet.iter().find(|d| d.name == "analytics").unwrap().payload["data"];
    assert!(data.get("text").is_none());
    let loud = deliveries(&Event::Send { message: outgoing() }, &Context { analytics_text: true, ..ctx() });
    let data = &loud.iter().find(|d| d.name == "analytics").unwrap().payload["data"];
    assert_eq!(data["text"], "hello");
}

#[test]
fn user_defined_responses_hand_the_native_handler_an_element() {
    let ev = Event::UserDefinedResponse {
        content_item: ContentItem { id: "x".into(), kind: "user_defined".into(), ..Default::default() },
        message: agent_message(),
        element_id: "cq-ud-7".into(),
    };
    let ds = deliveries(&ev, &ctx());
    assert_eq!(ds[0].element.as_deref(), Some("cq-ud-7"));
    assert!(ds[0].payload.get("elementId").is_none(), "the id is not part of the payload");
}

#[test]
fn dialect_name_lists_cover_the_seeds() {
    assert_eq!(names(Api::ChatSpark).len(), 5, "seed 000's five events");
    assert_eq!(names(Api::Chask).len(), 8, "seed 002's eight callbacks");
    assert_eq!(names(Api::Sa).len(), 6, "seed 003's six types");
}
