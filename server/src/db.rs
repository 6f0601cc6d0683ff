//! The store: conversations, their events (messages, hand-off changes, typing, read receipts),
//! the hand-off queue and the replies kept for retries, in a database. SQLite in a file by
//! default (bundled, nothing to install), Postgres for several instances; one code path for both
//! (sqlx's `Any` driver, plain SQL, migrations applied at start).
//!
//! Live delivery: every event a write commits is announced on the [`Hub`] of each instance. With
//! SQLite (one instance) the writer announces it directly; with Postgres the write's transaction
//! sends `pg_notify`, and every instance's listener announces what it hears, so an event written
//! on one instance reaches the streams held by another. Streams only take an announcement as a
//! cue to read the store past the last event they sent: nothing is lost (a missed cue is
//! caught up by the next one, a lost listener connection by a resync) and nothing is sent twice.

use serde_json::{Value, json};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{OnceCell, broadcast, watch};

/// The Postgres channel of event announcements (`"<seq> <conversation id>"`).
pub const CHANNEL: &str = "colloquy_events";

/// The migrations, in order (plain SQL for both databases; statements separated by `;`).
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/0001_store.sql"))];

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as i64
}

/// The database behind a [`Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: a file, or `sqlite::memory:` (tests).
    Sqlite,
    /// Postgres (`postgres://...`): several instances may share it.
    Postgres,
}

/// The bounds of the store (every table has one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbBounds {
    /// Most conversations kept (beyond: the least recently updated are deleted, with their
    /// events and replies).
    pub max_conversations: usize,
    /// Most bytes of event data kept in all (beyond: as above).
    pub max_bytes: usize,
    /// A conversation not updated for this long is deleted.
    pub conversation_ttl: Duration,
    /// Most events of one conversation (beyond: writes to it are refused).
    pub max_events: usize,
    /// Most replies kept for retries.
    pub max_replies: usize,
    /// Most bytes of replies kept for retries.
    pub max_reply_bytes: usize,
    /// A reply unused for this long is dropped.
    pub reply_ttl: Duration,
    /// A queued conversation no agent took within this gets the time-out event (`None`: never).
    pub queue_timeout: Option<Duration>,
}

impl Default for DbBounds {
    fn default() -> Self {
        DbBounds {
            max_conversations: 100_000,
            max_bytes: 1 << 30,
            conversation_ttl: Duration::from_secs(7 * 24 * 3600),
            max_events: 2_000,
            max_replies: 10_000,
            max_reply_bytes: 32 << 20,
            reply_ttl: Duration::from_secs(15 * 60),
            queue_timeout: Some(Duration::from_secs(120)),
        }
    }
}

/// Why a store call failed.
#[derive(Debug)]
pub enum StoreError {
    /// The database failed (unreachable, locked too long, ...): `503`.
    Database(String),
    /// The conversation is at its event limit: `429`.
    Full,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// A conversation's state in the hand-off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The AI agent answers.
    Bot,
    /// Waiting for a human agent.
    Queued,
    /// A human agent took it.
    Active,
    /// The human part ended (the AI agent answers again).
    Ended,
}

impl Status {
    /// The name stored and shown in the agent API.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Bot => "bot",
            Status::Queued => "queued",
            Status::Active => "active",
            Status::Ended => "ended",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "queued" => Status::Queued,
            "active" => Status::Active,
            "ended" => Status::Ended,
            _ => Status::Bot,
        }
    }

    /// Whether a human has (or is about to have) the conversation.
    pub fn with_human(self) -> bool {
        matches!(self, Status::Queued | Status::Active)
    }
}

/// One conversation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// Its id.
    pub id: String,
    /// The token subject that created it (`None` when tokens are off).
    pub owner: Option<String>,
    /// Where the hand-off stands.
    pub status: Status,
    /// The human agent who took it.
    pub agent: Option<String>,
    /// Why it was handed off (the model's reason; never shown to the visitor).
    pub reason: Option<String>,
    /// The scripted human answers (`--handoff scripted`).
    pub scripted_human: bool,
    /// Message ids whose first attempt failed on purpose (`/error`).
    pub failed_once: Vec<String>,
    /// When it was queued (ms since the epoch).
    pub queued_at: Option<i64>,
    /// No agent took it within the queue time-out (the visitor was told).
    pub timed_out: bool,
    /// The id of its last event.
    pub last_seq: i64,
    /// Created (ms since the epoch).
    pub created_at: i64,
    /// Last changed (ms since the epoch).
    pub updated_at: i64,
}

impl Conversation {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let failed: String = row.try_get("failed_once")?;
        Ok(Conversation {
            id: row.try_get("id")?,
            owner: row.try_get("owner")?,
            status: Status::parse(&row.try_get::<String, _>("status")?),
            agent: row.try_get("agent")?,
            reason: row.try_get("reason")?,
            scripted_human: row.try_get::<i64, _>("scripted_human")? != 0,
            failed_once: serde_json::from_str(&failed).unwrap_or_default(),
            queued_at: row.try_get("queued_at")?,
            timed_out: row.try_get::<i64, _>("timed_out")? != 0,
            last_seq: row.try_get("last_seq")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// The agent API's summary of it.
    pub fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "agent": self.agent,
            "reason": self.reason,
            "queuedAt": self.queued_at,
            "timedOut": self.timed_out,
            "lastEventId": self.last_seq,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}

/// Who sees an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The visitor's event stream only.
    Visitor,
    /// The agents' side only (console stream, history).
    Agent,
    /// Both.
    Both,
}

impl Audience {
    fn as_str(self) -> &'static str {
        match self {
            Audience::Visitor => "visitor",
            Audience::Agent => "agent",
            Audience::Both => "both",
        }
    }
}

/// An event to write.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// Who sees it.
    pub audience: Audience,
    /// The SSE event name.
    pub kind: &'static str,
    /// Its data.
    pub data: Value,
}

impl NewEvent {
    /// An event for `audience`.
    pub fn new(audience: Audience, kind: &'static str, data: Value) -> Self {
        NewEvent { audience, kind, data }
    }
}

/// A stored event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The conversation.
    pub conversation_id: String,
    /// Its id within the conversation (1, 2, ...; the SSE `id:`).
    pub seq: i64,
    /// `visitor`, `agent` or `both`.
    pub audience: String,
    /// The SSE event name.
    pub kind: String,
    /// The data (JSON text).
    pub data: String,
    /// Written (ms since the epoch).
    pub created_at: i64,
}

impl Event {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Event {
            conversation_id: row.try_get("conversation_id")?,
            seq: row.try_get("seq")?,
            audience: row.try_get("audience")?,
            kind: row.try_get("kind")?,
            data: row.try_get("data")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Whether the visitor's stream carries it.
    pub fn for_visitor(&self) -> bool {
        self.audience != "agent"
    }

    /// Whether the agents' side sees it.
    pub fn for_agents(&self) -> bool {
        self.audience != "visitor"
    }
}

/// An announcement: event `seq` of `conversation` was committed (an empty conversation: resync
/// everything, announcements may have been lost).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The conversation.
    pub conversation: Arc<str>,
    /// The event's id.
    pub seq: i64,
}

/// Most announcements buffered for the agents' streams (a stream that falls behind resyncs).
pub const AGENT_BUFFER: usize = 1_024;

/// The announcements of one instance: per conversation for visitor streams (a counter each
/// stream waits on), and one broadcast for the agents' streams. Holds only what open streams
/// subscribed to.
pub struct Hub {
    visitors: Mutex<HashMap<Arc<str>, Watched>>,
    agents: broadcast::Sender<Note>,
}

/// A conversation's announcement counter and how many streams watch it.
type Watched = (watch::Sender<u64>, usize);

/// A visitor stream's subscription (unsubscribed when dropped).
pub struct Subscription {
    hub: Arc<Hub>,
    conversation: Arc<str>,
    /// Changes when the conversation has new events.
    pub changed: watch::Receiver<u64>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut map = self.hub.visitors.lock().expect("hub lock");
        if let Some(entry) = map.get_mut(&self.conversation) {
            entry.1 -= 1;
            if entry.1 == 0 {
                map.remove(&self.conversation);
            }
        }
    }
}

impl Hub {
    fn new() -> Arc<Hub> {
        Arc::new(Hub { visitors: Mutex::default(), agents: broadcast::channel(AGENT_BUFFER).0 })
    }

    /// Subscribes to a conversation's announcements.
    pub fn subscribe(self: &Arc<Self>, conversation: &str) -> Subscription {
        let mut map = self.visitors.lock().expect("hub lock");
        let key: Arc<str> = conversation.into();
        let entry = map.entry(key.clone()).or_insert_with(|| (watch::channel(0).0, 0));
        entry.1 += 1;
        Subscription { hub: self.clone(), conversation: key, changed: entry.0.subscribe() }
    }

    /// Subscribes to every announcement (agents' streams).
    pub fn agents(&self) -> broadcast::Receiver<Note> {
        self.agents.subscribe()
    }

    /// Announces event `seq` of `conversation`.
    pub fn publish(&self, conversation: &str, seq: i64) {
        if let Some(entry) = self.visitors.lock().expect("hub lock").get(conversation) {
            entry.0.send_modify(|n| *n += 1);
        }
        let _ = self.agents.send(Note { conversation: conversation.into(), seq });
    }

    /// Tells every stream to read the store again (announcements may have been lost).
    pub fn resync(&self) {
        for entry in self.visitors.lock().expect("hub lock").values() {
            entry.0.send_modify(|n| *n += 1);
        }
        let _ = self.agents.send(Note { conversation: "".into(), seq: 0 });
    }

    /// Visitor conversations with open streams on this instance.
    pub fn watched(&self) -> usize {
        self.visitors.lock().expect("hub lock").len()
    }
}

struct Inner {
    backend: Backend,
    url: String,
    memory: bool,
    bounds: DbBounds,
    hub: Arc<Hub>,
    /// The pool, once [`Store::ready`] made it (it needs a runtime) and migrated the database.
    pool: OnceCell<AnyPool>,
}

/// The store (cheap to clone).
#[derive(Clone)]
pub struct Store(Arc<Inner>);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.0.backend)
    }
}

/// What [`Store::claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// The conversation (created now if it was not there), the caller's.
    Mine(Conversation),
    /// Another subject's.
    Other,
}

/// What [`Store::take`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Take {
    /// Taken: the conversation as it is now.
    Taken(Box<Conversation>),
    /// No such conversation.
    Missing,
    /// Not in the queue (taken by someone, ended, never handed off): its status and agent.
    Conflict(Status, Option<String>),
}

/// The database URL of the default store: `sqlite://<data dir>/colloquy.db`, the data dir being
/// `$COLLOQUY_DATA_DIR`, else `$XDG_DATA_HOME/colloquy`, else `$HOME/.local/share/colloquy`,
/// else `./colloquy-data`.
pub fn default_url() -> String {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let dir = var("COLLOQUY_DATA_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| var("XDG_DATA_HOME").map(|d| std::path::Path::new(&d).join("colloquy")))
        .or_else(|| var("HOME").map(|h| std::path::Path::new(&h).join(".local/share/colloquy")))
        .unwrap_or_else(|| "colloquy-data".into());
    format!("sqlite://{}", dir.join("colloquy.db").display())
}

/// The URL without its password (for logs).
pub fn shown_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = user.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}{path}")
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

const CONVERSATION_COLUMNS: &str = "id, owner, status, agent, reason, scripted_human, failed_once, queued_at, \
     timed_out, last_seq, created_at, updated_at";

impl Store {
    /// A store on `url` (`sqlite://path`, `sqlite::memory:` or `postgres://...`). Connects
    /// lazily: [`Store::ready`] applies the migrations (every call does it first otherwise).
    pub fn new(url: &str, bounds: DbBounds) -> Result<Store, String> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(format!("unsupported database {:?}: use sqlite://PATH or postgres://...", shown_url(url)));
        };
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut url = url.to_owned();
        if backend == Backend::Sqlite && !memory && !url.contains('?') {
            // Create the file when missing.
            url.push_str("?mode=rwc");
        }
        Ok(Store(Arc::new(Inner { backend, url, memory, bounds, hub: Hub::new(), pool: OnceCell::new() })))
    }

    fn connect(&self) -> Result<AnyPool, StoreError> {
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let options = match (self.0.backend, self.0.memory) {
            // One connection holds an in-memory database: keep it for the store's life.
            (Backend::Sqlite, true) => {
                options.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None)
            }
            (Backend::Sqlite, false) => options.max_connections(4),
            (Backend::Postgres, _) => options.max_connections(10),
        };
        options
            .connect_lazy(&self.0.url)
            .map_err(|e| StoreError::Database(format!("database {}: {e}", shown_url(&self.0.url))))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.0.backend
    }

    /// The bounds.
    pub fn bounds(&self) -> DbBounds {
        self.0.bounds
    }

    /// This instance's announcements.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.0.hub
    }

    /// Applies the migrations (once) and starts the background work (the queue time-out and
    /// retention sweeps; with Postgres, the listener). Call it within a tokio runtime.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.0
            .pool
            .get_or_try_init(|| async {
                if self.0.backend == Backend::Sqlite
                    && let Some(path) = self.0.url.strip_prefix("sqlite://").and_then(|p| p.split('?').next())
                    && let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display())))?;
                }
                let pool = self.connect()?;
                self.migrate(&pool).await?;
                let weak = Arc::downgrade(&self.0);
                tokio::spawn(sweeper(weak.clone()));
                if self.0.backend == Backend::Postgres {
                    // Listening before the first stream opens: nothing committed after this
                    // point is missed.
                    let mut first = sqlx::postgres::PgListener::connect(&self.0.url).await?;
                    first.listen(CHANNEL).await?;
                    tokio::spawn(listener(weak, self.0.url.clone(), first));
                }
                Ok::<AnyPool, StoreError>(pool)
            })
            .await?;
        Ok(())
    }

    async fn migrate(&self, pool: &AnyPool) -> Result<(), StoreError> {
        let mut conn = pool.acquire().await?;
        match self.0.backend {
            // Two instances starting at once: one migrates, the other waits.
            Backend::Postgres => {
                sqlx::query("SELECT pg_advisory_lock(72431)").execute(&mut *conn).await?;
            }
            Backend::Sqlite => {
                sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await.ok();
            }
        }
        let result = async {
            sqlx::query("CREATE TABLE IF NOT EXISTS colloquy_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                .execute(&mut *conn)
                .await?;
            for (version, sql) in MIGRATIONS {
                let done = sqlx::query("SELECT version FROM colloquy_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *conn)
                    .await?;
                if done.is_some() {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO colloquy_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if self.0.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock(72431)").execute(&mut *conn).await.ok();
        }
        result.map_err(|e| StoreError::Database(format!("migrations: {e}")))
    }

    /// The pool (after [`Store::ready`]).
    fn pool(&self) -> &AnyPool {
        self.0.pool.get().expect("the store is ready")
    }

    /// The conversation `id`.
    pub async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        self.ready().await?;
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM colloquy_conversations WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?;
        Ok(row.map(|r| Conversation::from_row(&r)).transpose()?)
    }

    /// Finds the conversation `id` or creates it bound to `owner`; marks it used.
    pub async fn claim(&self, id: &str, owner: Option<&str>) -> Result<Claim, StoreError> {
        self.ready().await?;
        let now = now_ms();
        let created = sqlx::query(
            "INSERT INTO colloquy_conversations (id, owner, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1;
        if created {
            self.evict_beyond_count().await?;
        } else {
            sqlx::query(
                "UPDATE colloquy_conversations SET updated_at = $2 WHERE id = $1 AND owner IS NOT DISTINCT FROM $3",
            )
            .bind(id)
            .bind(now)
            .bind(owner)
            .execute(self.pool())
            .await?;
        }
        match self.conversation(id).await? {
            Some(c) if c.owner.as_deref() == owner => Ok(Claim::Mine(c)),
            Some(_) => Ok(Claim::Other),
            // Evicted between the two statements (a store at its bounds): try once more.
            None => Box::pin(self.claim(id, owner)).await,
        }
    }

    /// Saves the scripted agent's memory of a conversation.
    pub async fn remember(&self, id: &str, scripted_human: bool, failed_once: &[String]) -> Result<(), StoreError> {
        self.ready().await?;
        // The last 16 failed-on-purpose ids are enough for retries.
        let keep = &failed_once[failed_once.len().saturating_sub(16)..];
        sqlx::query("UPDATE colloquy_conversations SET scripted_human = $2, failed_once = $3 WHERE id = $1")
            .bind(id)
            .bind(scripted_human as i64)
            .bind(serde_json::to_string(keep).unwrap_or_else(|_| "[]".into()))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Writes `events` to conversation `id` (in order). Returns their ids.
    pub async fn append(&self, id: &str, events: &[NewEvent]) -> Result<Vec<i64>, StoreError> {
        self.ready().await?;
        let mut tx = self.pool().begin().await?;
        let seqs = self.append_in(&mut tx, id, events).await?;
        tx.commit().await?;
        self.announce(id, &seqs);
        Ok(seqs)
    }

    /// Appends within a transaction. With SQLite the transaction's first statement must be a
    /// write (this one is, when nothing came before).
    async fn append_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: &str,
        events: &[NewEvent],
    ) -> Result<Vec<i64>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let n = events.len() as i64;
        let datas: Vec<String> = events.iter().map(|e| e.data.to_string()).collect();
        let bytes: i64 = datas.iter().map(|d| d.len() as i64).sum();
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE colloquy_conversations SET last_seq = last_seq + $2, bytes = bytes + $3, updated_at = $4 \
             WHERE id = $1 AND last_seq + $2 <= $5 RETURNING last_seq",
        )
        .bind(id)
        .bind(n)
        .bind(bytes)
        .bind(now)
        .bind(self.0.bounds.max_events as i64)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Err(StoreError::Full) };
        let last: i64 = row.try_get(0)?;
        let mut seqs = Vec::with_capacity(events.len());
        for (i, (event, data)) in events.iter().zip(datas).enumerate() {
            let seq = last - n + 1 + i as i64;
            sqlx::query(
                "INSERT INTO colloquy_events (conversation_id, seq, audience, kind, data, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(seq)
            .bind(event.audience.as_str())
            .bind(event.kind)
            .bind(data)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            if self.0.backend == Backend::Postgres {
                // Delivered to every listener when the transaction commits.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(format!("{seq} {id}"))
                    .execute(&mut **tx)
                    .await?;
            }
            seqs.push(seq);
        }
        Ok(seqs)
    }

    /// Announces committed events on this instance (SQLite; Postgres announces through NOTIFY).
    fn announce(&self, id: &str, seqs: &[i64]) {
        if self.0.backend == Backend::Sqlite {
            for seq in seqs {
                self.0.hub.publish(id, *seq);
            }
        }
    }

    /// Puts conversation `id` in the queue (a no-op when it is queued or with an agent already)
    /// and writes `events` (the agents' `conversation` event is added). Returns its place in
    /// the queue (1: next).
    pub async fn queue(&self, id: &str, reason: Option<&str>, events: Vec<NewEvent>) -> Result<u32, StoreError> {
        self.ready().await?;
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let queued = sqlx::query(
            "UPDATE colloquy_conversations SET status = 'queued', agent = NULL, queued_at = $2, timed_out = 0, \
             reason = COALESCE($3, reason), updated_at = $2 WHERE id = $1 AND status NOT IN ('queued', 'active')",
        )
        .bind(id)
        .bind(now)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let mut seqs = Vec::new();
        if queued {
            let mut events = events;
            events.push(self.conversation_event_in(&mut tx, id).await?);
            seqs = self.append_in(&mut tx, id, &events).await?;
        }
        let position: i64 = sqlx::query(
            "SELECT COUNT(*) FROM colloquy_conversations WHERE status = 'queued' AND queued_at <= \
             (SELECT queued_at FROM colloquy_conversations WHERE id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        self.announce(id, &seqs);
        Ok(position.max(1) as u32)
    }

    /// The agents' `conversation` event for `id` as it is within `tx`.
    async fn conversation_event_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: &str,
    ) -> Result<NewEvent, StoreError> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM colloquy_conversations WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_one(&mut **tx).await?;
        let summary = Conversation::from_row(&row)?.summary();
        Ok(NewEvent::new(Audience::Agent, "conversation", summary))
    }

    /// An agent takes a queued conversation: exactly one of concurrent takers wins. `events`
    /// (for the visitor: connected, read) are written with the agents' `conversation` event.
    pub async fn take(&self, id: &str, agent: &str, events: Vec<NewEvent>) -> Result<Take, StoreError> {
        self.ready().await?;
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let taken = sqlx::query(
            "UPDATE colloquy_conversations SET status = 'active', agent = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'queued'",
        )
        .bind(id)
        .bind(agent)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !taken {
            tx.rollback().await?;
            return Ok(match self.conversation(id).await? {
                None => Take::Missing,
                Some(c) => Take::Conflict(c.status, c.agent),
            });
        }
        let mut events = events;
        events.push(self.conversation_event_in(&mut tx, id).await?);
        let seqs = self.append_in(&mut tx, id, &events).await?;
        tx.commit().await?;
        self.announce(id, &seqs);
        match self.conversation(id).await? {
            Some(c) => Ok(Take::Taken(Box::new(c))),
            None => Ok(Take::Missing),
        }
    }

    /// Ends the human part of conversation `id` when it is queued or active (and, when `agent`
    /// is given, that agent's). Returns the conversation before the change, or `None` when it
    /// was not in that state.
    pub async fn end(
        &self,
        id: &str,
        agent: Option<&str>,
        events: Vec<NewEvent>,
    ) -> Result<Option<Conversation>, StoreError> {
        self.ready().await?;
        let before = match self.conversation(id).await? {
            Some(c) if c.status.with_human() && (agent.is_none() || c.agent.as_deref() == agent) => c,
            _ => return Ok(None),
        };
        let mut tx = self.pool().begin().await?;
        let ended = sqlx::query(
            "UPDATE colloquy_conversations SET status = 'ended', updated_at = $2 \
             WHERE id = $1 AND status = $3 AND agent IS NOT DISTINCT FROM $4",
        )
        .bind(id)
        .bind(now_ms())
        .bind(before.status.as_str())
        .bind(before.agent.as_deref())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !ended {
            tx.rollback().await?;
            return Ok(None);
        }
        let mut events = events;
        events.push(self.conversation_event_in(&mut tx, id).await?);
        let seqs = self.append_in(&mut tx, id, &events).await?;
        tx.commit().await?;
        self.announce(id, &seqs);
        Ok(Some(before))
    }

    /// Writes `event` when the last one of this side (`visitor` or `agent`) is at least
    /// `every` old (typing indicators: at most one event per interval). Returns whether it did.
    pub async fn typing(
        &self,
        id: &str,
        agent_side: bool,
        every: Duration,
        event: NewEvent,
    ) -> Result<bool, StoreError> {
        self.ready().await?;
        let now = now_ms();
        let column = if agent_side { "agent_typing_at" } else { "visitor_typing_at" };
        let mut tx = self.pool().begin().await?;
        let sql = format!("UPDATE colloquy_conversations SET {column} = $2 WHERE id = $1 AND {column} <= $3");
        let due = sqlx::query(&sql)
            .bind(id)
            .bind(now)
            .bind(now - every.as_millis() as i64)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !due {
            tx.rollback().await?;
            return Ok(false);
        }
        let seqs = self.append_in(&mut tx, id, &[event]).await?;
        tx.commit().await?;
        self.announce(id, &seqs);
        Ok(true)
    }

    /// Events of `id` after `after`, at most `limit`, oldest first (`visitor`: the visitor's
    /// only; otherwise the agents').
    pub async fn events_after(
        &self,
        id: &str,
        after: i64,
        visitor: bool,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        self.ready().await?;
        let not = if visitor { "agent" } else { "visitor" };
        let rows = sqlx::query(
            "SELECT conversation_id, seq, audience, kind, data, created_at FROM colloquy_events \
             WHERE conversation_id = $1 AND seq > $2 AND audience <> $3 ORDER BY seq LIMIT $4",
        )
        .bind(id)
        .bind(after)
        .bind(not)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(Event::from_row).collect::<Result<_, _>>()?)
    }

    /// The last `limit` events of `id` of this kind, oldest first, as the agents' side (or,
    /// `visitor`, the visitor) sees them.
    pub async fn last_events(&self, id: &str, kind: &str, limit: i64, visitor: bool) -> Result<Vec<Event>, StoreError> {
        self.ready().await?;
        let rows = sqlx::query(
            "SELECT conversation_id, seq, audience, kind, data, created_at FROM colloquy_events \
             WHERE conversation_id = $1 AND kind = $2 AND audience <> $4 ORDER BY seq DESC LIMIT $3",
        )
        .bind(id)
        .bind(kind)
        .bind(limit)
        .bind(if visitor { "agent" } else { "visitor" })
        .fetch_all(self.pool())
        .await?;
        let mut events: Vec<Event> = rows.iter().map(Event::from_row).collect::<Result<_, _>>()?;
        events.reverse();
        Ok(events)
    }

    /// One event.
    pub async fn event(&self, id: &str, seq: i64) -> Result<Option<Event>, StoreError> {
        self.ready().await?;
        let row = sqlx::query(
            "SELECT conversation_id, seq, audience, kind, data, created_at FROM colloquy_events \
             WHERE conversation_id = $1 AND seq = $2",
        )
        .bind(id)
        .bind(seq)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| Event::from_row(&r)).transpose()?)
    }

    /// The queue (oldest first) and the conversations `agent` has, at most `limit` of each.
    pub async fn inbox(&self, agent: &str, limit: i64) -> Result<(Vec<Conversation>, Vec<Conversation>), StoreError> {
        self.ready().await?;
        let queue = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM colloquy_conversations WHERE status = 'queued' \
             ORDER BY queued_at, id LIMIT $1"
        );
        let mine = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM colloquy_conversations WHERE status = 'active' AND agent = $1 \
             ORDER BY updated_at DESC LIMIT $2"
        );
        let queue = sqlx::query(&queue).bind(limit).fetch_all(self.pool()).await?;
        let mine = sqlx::query(&mine).bind(agent).bind(limit).fetch_all(self.pool()).await?;
        let parse = |rows: Vec<AnyRow>| rows.iter().map(Conversation::from_row).collect::<Result<Vec<_>, _>>();
        Ok((parse(queue)?, parse(mine)?))
    }

    /// A reply kept for retries (marked used).
    pub async fn reply(&self, owner: Option<&str>, id: &str, message: &str) -> Result<Option<Vec<String>>, StoreError> {
        self.ready().await?;
        let now = now_ms();
        let cutoff = now - self.0.bounds.reply_ttl.as_millis() as i64;
        let row = sqlx::query(
            "UPDATE colloquy_replies SET used_at = $4 WHERE owner = $1 AND conversation_id = $2 AND message_id = $3 \
             AND used_at > $5 RETURNING body",
        )
        .bind(owner.unwrap_or_default())
        .bind(id)
        .bind(message)
        .bind(now)
        .bind(cutoff)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let body: String = row.try_get(0)?;
        Ok(serde_json::from_str(&body).ok())
    }

    /// Keeps a completed reply for retries, then evicts what no longer fits (the least recently
    /// used first). A reply larger than the whole byte budget is not kept.
    pub async fn keep_reply(
        &self,
        owner: Option<&str>,
        id: &str,
        message: &str,
        reply: &[String],
    ) -> Result<(), StoreError> {
        self.ready().await?;
        let body = serde_json::to_string(reply).unwrap_or_default();
        let bytes = body.len() as i64;
        if bytes as usize > self.0.bounds.max_reply_bytes {
            return Ok(());
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO colloquy_replies (owner, conversation_id, message_id, body, bytes, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (owner, conversation_id, message_id) \
             DO UPDATE SET body = excluded.body, bytes = excluded.bytes, used_at = excluded.used_at",
        )
        .bind(owner.unwrap_or_default())
        .bind(id)
        .bind(message)
        .bind(&body)
        .bind(bytes)
        .bind(now)
        .execute(self.pool())
        .await?;
        self.evict_replies().await
    }

    async fn evict_replies(&self) -> Result<(), StoreError> {
        let b = self.0.bounds;
        let cutoff = now_ms() - b.reply_ttl.as_millis() as i64;
        sqlx::query("DELETE FROM colloquy_replies WHERE used_at <= $1").bind(cutoff).execute(self.pool()).await?;
        loop {
            let row = sqlx::query("SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM colloquy_replies")
                .fetch_one(self.pool())
                .await?;
            let (count, bytes): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            // Over the count: the extra ones; over the bytes: the oldest tenth (at least one).
            let drop = if count as usize > b.max_replies {
                count - b.max_replies as i64
            } else if bytes as usize > b.max_reply_bytes {
                (count / 10).max(1)
            } else {
                return Ok(());
            };
            sqlx::query(
                "DELETE FROM colloquy_replies WHERE (owner, conversation_id, message_id) IN \
                 (SELECT owner, conversation_id, message_id FROM colloquy_replies ORDER BY used_at LIMIT $1)",
            )
            .bind(drop)
            .execute(self.pool())
            .await?;
        }
    }

    /// Deletes conversations (with their events and replies).
    async fn delete(&self, ids: &[String]) -> Result<(), StoreError> {
        for id in ids {
            let mut tx = self.pool().begin().await?;
            for table in ["colloquy_conversations", "colloquy_events", "colloquy_replies"] {
                let column = if table == "colloquy_conversations" { "id" } else { "conversation_id" };
                let sql = format!("DELETE FROM {table} WHERE {column} = $1");
                sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    async fn oldest(&self, n: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT id FROM colloquy_conversations ORDER BY updated_at, id LIMIT $1")
            .bind(n)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    }

    async fn evict_beyond_count(&self) -> Result<(), StoreError> {
        let count: i64 =
            sqlx::query("SELECT COUNT(*) FROM colloquy_conversations").fetch_one(self.pool()).await?.try_get(0)?;
        let over = count - self.0.bounds.max_conversations as i64;
        if over > 0 {
            let ids = self.oldest(over).await?;
            self.delete(&ids).await?;
        }
        Ok(())
    }

    /// The retention sweep: conversations unused beyond the TTL, then the least recently
    /// updated while over the count or byte budget; expired replies.
    pub async fn sweep(&self) -> Result<(), StoreError> {
        self.ready().await?;
        self.sweep_now().await
    }

    async fn sweep_now(&self) -> Result<(), StoreError> {
        let b = self.0.bounds;
        let cutoff = now_ms() - b.conversation_ttl.as_millis() as i64;
        let rows = sqlx::query("SELECT id FROM colloquy_conversations WHERE updated_at <= $1 LIMIT 1000")
            .bind(cutoff)
            .fetch_all(self.pool())
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
        self.delete(&ids).await?;
        self.evict_beyond_count().await?;
        loop {
            let bytes: i64 = sqlx::query("SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM colloquy_conversations")
                .fetch_one(self.pool())
                .await?
                .try_get(0)?;
            if bytes as usize <= b.max_bytes {
                break;
            }
            let ids = self.oldest(10).await?;
            if ids.is_empty() {
                break;
            }
            self.delete(&ids).await?;
        }
        self.evict_replies().await
    }

    /// Conversations queued longer than the time-out that were not told yet: marks each (one
    /// instance wins per conversation) and writes `events(conversation)` with the agents'
    /// `conversation` event. Returns how many.
    pub async fn time_out_queue(&self, events: impl Fn(&str) -> Vec<NewEvent>) -> Result<usize, StoreError> {
        self.ready().await?;
        self.time_out_now(events).await
    }

    async fn time_out_now(&self, events: impl Fn(&str) -> Vec<NewEvent>) -> Result<usize, StoreError> {
        let Some(timeout) = self.0.bounds.queue_timeout else { return Ok(0) };
        let now = now_ms();
        let cutoff = now - timeout.as_millis() as i64;
        let rows = sqlx::query(
            "SELECT id FROM colloquy_conversations WHERE status = 'queued' AND timed_out = 0 AND queued_at <= $1 \
             ORDER BY queued_at LIMIT 100",
        )
        .bind(cutoff)
        .fetch_all(self.pool())
        .await?;
        let mut told = 0;
        for row in rows {
            let id: String = row.try_get(0)?;
            let mut tx = self.pool().begin().await?;
            let mine = sqlx::query(
                "UPDATE colloquy_conversations SET timed_out = 1, updated_at = $2 \
                 WHERE id = $1 AND status = 'queued' AND timed_out = 0",
            )
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !mine {
                tx.rollback().await?;
                continue;
            }
            let mut list = events(&id);
            list.push(self.conversation_event_in(&mut tx, &id).await?);
            let seqs = self.append_in(&mut tx, &id, &list).await?;
            tx.commit().await?;
            self.announce(&id, &seqs);
            told += 1;
        }
        Ok(told)
    }
}

/// The background work of one store, until the store is dropped: the queue time-out every
/// second, the retention sweep every minute.
async fn sweeper(store: Weak<Inner>) {
    let mut tick = 0u64;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(inner) = store.upgrade() else { return };
        let store = Store(inner);
        if let Err(e) = store.time_out_now(crate::timeout_events).await {
            eprintln!("colloquy-server: store: queue time-out: {e:?}");
        }
        if tick % 60 == 59
            && let Err(e) = store.sweep_now().await
        {
            eprintln!("colloquy-server: store: retention sweep: {e:?}");
        }
        tick += 1;
    }
}

/// Postgres: hears every instance's announcements and passes them to this instance's streams.
/// A lost connection is re-established, with a resync (announcements may have been missed).
async fn listener(store: Weak<Inner>, url: String, first: sqlx::postgres::PgListener) {
    let mut current = Some(first);
    let mut backoff = Duration::from_millis(200);
    loop {
        let mut listener = match current.take() {
            Some(l) => l,
            None => {
                let connected = async {
                    let mut l = sqlx::postgres::PgListener::connect(&url).await?;
                    l.listen(CHANNEL).await?;
                    Ok::<_, sqlx::Error>(l)
                };
                match connected.await {
                    Ok(l) => {
                        backoff = Duration::from_millis(200);
                        match store.upgrade() {
                            Some(inner) => inner.hub.resync(),
                            None => return,
                        }
                        l
                    }
                    Err(e) => {
                        eprintln!("colloquy-server: store: listener: {e}");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                        if store.strong_count() == 0 {
                            return;
                        }
                        continue;
                    }
                }
            }
        };
        loop {
            // Wake up now and then to notice that the store was dropped.
            let next = tokio::time::timeout(Duration::from_secs(5), listener.try_recv()).await;
            let Some(inner) = store.upgrade() else { return };
            match next {
                Err(_) => continue,
                Ok(Ok(Some(note))) => {
                    if let Some((seq, id)) = note.payload().split_once(' ')
                        && let Ok(seq) = seq.parse()
                    {
                        inner.hub.publish(id, seq);
                    }
                }
                // The connection was lost; the next try_recv reconnects and listens again.
                Ok(Ok(None)) => inner.hub.resync(),
                Ok(Err(e)) => {
                    eprintln!("colloquy-server: store: listener: {e}");
                    break;
                }
            }
        }
    }
}
