//! The task behind [`super::RedisFeed`]: owns the pub/sub connection, applies
//! subscription requests in order, forwards messages to the inbox, and reconnects.
//! Every shard's hand-over channel is subscribed on every connection, whatever the
//! requests.

mod link;
mod requests;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use redis::Msg;
use tokio::sync::{mpsc, oneshot};

use self::link::{Link, Messages};
use self::requests::{Trouble, timed};
use super::feed::parse_message;
use super::keys::{Keys, SHARDS};
use super::target::Target;
use crate::session::{Event, SessionId};
use crate::store::{FeedMessage, Inbox, StoreError};

const BACKOFF_START: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Longest wait for Redis to connect or to answer a request before the connection
/// counts as lost.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an idle connection is checked with PING.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Most channels per SUBSCRIBE.
const BATCH: usize = 256;
/// Least time between two warnings about malformed messages.
const WARN_EVERY: Duration = Duration::from_secs(10);

type Done = oneshot::Sender<Result<(), StoreError>>;

/// A request to the task, applied in the order received.
pub enum Command {
    /// Subscribe (if not already) and answer once Redis confirmed.
    Subscribe(SessionId, Done),
    Unsubscribe(SessionId),
}

/// Why the connected phase ended.
enum Stop {
    /// The command sender was dropped or the inbox closed: the task ends.
    Done,
    /// The connection failed, for this reason.
    Lost(String),
}

/// The state of the feed's background task.
pub struct Subscriber {
    opener: link::Opener,
    keys: Keys,
    /// The shards' hand-over channels, subscribed on every connection.
    handovers: HashSet<String>,
    inbox: Inbox,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Sessions whose channel is (or, once connected, will be) subscribed.
    active: HashSet<SessionId>,
    /// Subscribers waiting for the next connection.
    waiting: Vec<Done>,
    /// When malformed messages were last reported, and how many were dropped since.
    last_warning: Option<Instant>,
    dropped: u64,
}

impl Subscriber {
    pub fn new(
        target: &Target,
        keys: Keys,
        inbox: Inbox,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Result<Self, StoreError> {
        let opener =
            link::Opener::new(target).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            opener,
            handovers: SHARDS.iter().map(|shard| keys.handover(shard)).collect(),
            keys,
            inbox,
            commands,
            active: HashSet::new(),
            waiting: Vec::new(),
            last_warning: None,
            dropped: 0,
        })
    }

    /// Runs until the feed is dropped or the inbox closes.
    pub async fn run(mut self) {
        let mut outage = None;
        loop {
            let Some((link, messages)) = self.connect(outage).await else {
                return;
            };
            for done in self.waiting.drain(..) {
                let _ = done.send(Ok(()));
            }
            if outage.is_some() && self.inbox.send(FeedMessage::Resync).is_err() {
                return;
            }
            match self.serve(link, messages).await {
                Stop::Done => return,
                Stop::Lost(cause) => {
                    tracing::warn!(%cause, "redis feed lost its connection; reconnecting");
                    outage = Some(Instant::now());
                }
            }
        }
    }

    /// Connects and re-subscribes every active channel, retrying with capped backoff
    /// while still taking requests; `None` when the task should end instead.
    async fn connect(&mut self, mut outage: Option<Instant>) -> Option<(Link, Messages)> {
        let mut delay = BACKOFF_START;
        loop {
            match self.try_connect().await {
                Ok(connection) => {
                    if let Some(since) = outage {
                        let down_ms = since.elapsed().as_millis() as u64;
                        tracing::info!(down_ms, "redis feed reconnected");
                    }
                    return Some(connection);
                }
                Err(trouble) if outage.is_none() => {
                    tracing::warn!(cause = %trouble.cause(), "redis feed cannot connect; retrying");
                    outage = Some(Instant::now());
                }
                Err(_) => {}
            }
            if !self.wait_offline(delay).await {
                return None;
            }
            delay = (delay * 2).min(BACKOFF_MAX);
        }
    }

    async fn try_connect(&self) -> Result<(Link, Messages), Trouble> {
        let (mut link, messages) = timed(self.opener.open()).await?;
        let sessions = self.active.iter().map(|id| self.keys.channel(id));
        let channels: Vec<String> = self.handovers.iter().cloned().chain(sessions).collect();
        for chunk in channels.chunks(BATCH) {
            timed(link.subscribe(chunk)).await?;
        }
        Ok((link, messages))
    }

    /// Records requests until `delay` has passed; false when the task should end.
    async fn wait_offline(&mut self, delay: Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return true,
                _ = self.inbox.closed() => return false,
                command = self.commands.recv() => match command {
                    None => return false,
                    Some(Command::Subscribe(id, done)) => {
                        self.active.insert(id);
                        self.waiting.push(done);
                    }
                    Some(Command::Unsubscribe(id)) => {
                        self.active.remove(&id);
                    }
                },
            }
        }
    }

    async fn serve(&mut self, mut link: Link, mut messages: Messages) -> Stop {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.reset();
        loop {
            // Biased: a request made before a message arrived is applied first, so
            // nothing is delivered for a session after its unsubscribe.
            let outcome = tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    None => return Stop::Done,
                    Some(command) => self.apply(&mut link, command).await,
                },
                message = messages.next() => match message {
                    None => Err(Trouble::Lost("connection closed".to_owned())),
                    Some(message) if self.deliver(&message) => Ok(()),
                    Some(_) => return Stop::Done,
                },
                _ = self.inbox.closed() => return Stop::Done,
                _ = heartbeat.tick() => timed(link.ping()).await,
            };
            if let Err(trouble) = outcome {
                return Stop::Lost(trouble.cause());
            }
        }
    }

    /// Forwards a message of an active session, or a hand-over notice; false once the
    /// inbox is closed.
    fn deliver(&mut self, message: &Msg) -> bool {
        let channel = message.get_channel_name();
        let payload = message.get_payload_bytes();
        let forward = if self.handovers.contains(channel) {
            let id = std::str::from_utf8(payload).ok().and_then(SessionId::parse);
            id.map(FeedMessage::HandedOver)
        } else {
            let id = self.keys.session_of_channel(channel);
            match (id, parse_message(payload)) {
                (Some(id), Some(_)) if !self.active.contains(&id) => return true,
                (Some(id), Some((seq, kind, json))) => {
                    Some(FeedMessage::Event(id, Event { seq, kind, json }))
                }
                _ => None,
            }
        };
        match forward {
            Some(message) => self.inbox.send(message).is_ok(),
            None => {
                self.dropped_malformed(channel);
                true
            }
        }
    }

    /// Counts a dropped message, warning at most once per [`WARN_EVERY`].
    fn dropped_malformed(&mut self, channel: &str) {
        self.dropped += 1;
        if self
            .last_warning
            .is_none_or(|at| at.elapsed() >= WARN_EVERY)
        {
            tracing::warn!(
                channel,
                dropped = self.dropped,
                "dropped malformed feed messages"
            );
            self.last_warning = Some(Instant::now());
            self.dropped = 0;
        }
    }
}
