//! The mailer: the background job that delivers the notification outbox over SMTP.
//!
//! Each round claims a batch of due notifications under a lease (`MailOutboxStore`), renders
//! each as an RFC 5322 message (From the configured sender, To the user's address, the
//! notification's subject, a plain-text body and the row's stable Message-ID), sends them over
//! a pooled SMTP connection a few at a time, and marks the accepted ones sent in one
//! transaction. A failed message is retried with exponential backoff up to a bound; after the
//! last attempt (or at once, when the server refuses it permanently) the sender gives up on
//! it, and the row stays, visible to the platform admin.
//!
//! Delivery is at least once: a crash between the server's acceptance and the mark sends the
//! message again, with the same Message-ID, so a receiver can drop the copy. Without an SMTP
//! server configured, no mailer runs and notifications wait in the outbox.

use std::sync::Arc;
use std::time::Duration;

use corridor_store::{AuditContext, ClaimedNotification, NotificationClaim, Store, StoreError};
use futures_util::StreamExt;
use jiff::SignedDuration;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;

/// Why a mailer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid SMTP URL {url:?}: {reason}")]
    InvalidSmtpUrl { url: String, reason: String },
    #[error("invalid sender address {address:?}: {reason}")]
    InvalidSender { address: String, reason: String },
    #[error("the outbox could not be read or updated")]
    Store(#[from] StoreError),
}

/// How often a failed message is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; it doubles with every further one.
    pub first_delay: SignedDuration,
    /// The longest wait between two attempts.
    pub longest_delay: SignedDuration,
    /// After this many failed attempts the sender gives up on the message.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// Thirty seconds, doubling up to an hour, ten attempts: a message is given up on about
    /// four hours after it first failed, enough for a relay's restart or a short outage.
    fn default() -> RetryPolicy {
        RetryPolicy {
            first_delay: SignedDuration::from_secs(30),
            longest_delay: SignedDuration::from_hours(1),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt: `first_delay · 2^(attempts − 1)`,
    /// never more than `longest_delay`.
    pub fn delay_after(&self, attempts: u32) -> SignedDuration {
        let doublings = attempts.saturating_sub(1).min(30);
        let delay = self
            .first_delay
            .checked_mul(1i32 << doublings)
            .unwrap_or(self.longest_delay);
        delay.min(self.longest_delay)
    }
}

/// What the mailer is told at start-up.
#[derive(Debug, Clone)]
pub struct MailerSettings {
    /// `smtp://[user:password@]host[:port]`: plain SMTP to a relay (port 25 by default).
    pub smtp_url: String,
    /// The From address, e.g. `Corridor <noreply@corridor.example>`; its domain also names
    /// the Message-IDs.
    pub from: String,
    /// Rows claimed per round.
    pub batch_size: u32,
    /// Messages in flight at once (the SMTP connection pool's size).
    pub concurrent_sends: usize,
    /// How long a claim holds; a round stops sending well before it runs out.
    pub lease: SignedDuration,
    /// How long an SMTP command may take before the attempt fails.
    pub smtp_timeout: Duration,
    /// How long the job waits before asking again when the outbox had nothing due or the
    /// round failed.
    pub idle_wait: Duration,
    pub retry: RetryPolicy,
}

impl MailerSettings {
    /// The server's settings for `smtp_url` and `from`.
    pub fn new(smtp_url: impl Into<String>, from: impl Into<String>) -> MailerSettings {
        MailerSettings {
            smtp_url: smtp_url.into(),
            from: from.into(),
            batch_size: 100,
            concurrent_sends: 8,
            lease: SignedDuration::from_mins(5),
            smtp_timeout: Duration::from_secs(30),
            idle_wait: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub claimed: usize,
    pub sent: usize,
    /// Failed and due again after the backoff.
    pub retrying: usize,
    pub given_up: usize,
    /// Left unsent because the claim's lease was running out; due again at once.
    pub released: usize,
}

impl DeliveryRound {
    fn add(&mut self, other: DeliveryRound) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.given_up += other.given_up;
        self.released += other.released;
    }
}

/// The part of a lease a round never uses for sending: a message started later could still
/// be in flight when another node claims the row.
const LEASE_SAFETY_MARGIN: SignedDuration = SignedDuration::from_secs(60);

/// The outcome of one message.
enum Outcome {
    Sent(i64),
    Failed {
        id: i64,
        error: String,
        permanent: bool,
        attempts: u32,
    },
    Released(i64),
}

/// Delivers the outbox over SMTP; cheap to share (the connections are a shared pool).
#[derive(Clone)]
pub struct Mailer {
    store: Arc<dyn Store>,
    connections: Arc<SmtpConnections>,
    from: Mailbox,
    claim: NotificationClaim,
    settings: MailerSettings,
}

impl Mailer {
    /// Checks the settings and builds the connection pool; connects on the first send.
    pub fn new(store: Arc<dyn Store>, settings: MailerSettings) -> Result<Mailer, MailError> {
        let from: Mailbox =
            settings
                .from
                .parse()
                .map_err(
                    |error: lettre::address::AddressError| MailError::InvalidSender {
                        address: settings.from.clone(),
                        reason: error.to_string(),
                    },
                )?;
        let host = from.email.domain().to_owned();
        let relay = SmtpRelay::parse(&settings.smtp_url)?;
        let connections = Arc::new(SmtpConnections {
            hello_name: ClientId::Domain(host.clone()),
            credentials: relay
                .credentials
                .clone()
                .map(|(user, password)| Credentials::new(user, password)),
            relay,
            timeout: settings.smtp_timeout,
            most_idle: settings.concurrent_sends.max(1),
            idle: tokio::sync::Mutex::new(Vec::new()),
        });
        let claim = NotificationClaim {
            claimer: claimer_name(),
            limit: settings.batch_size.max(1),
            lease: settings.lease,
            message_id_host: host,
        };
        Ok(Mailer {
            store,
            connections,
            from,
            claim,
            settings,
        })
    }

    /// The name this mailer's claims carry (host, process and a random part).
    pub fn claimer(&self) -> &str {
        &self.claim.claimer
    }

    /// One round: claims a batch, sends it, records what happened.
    pub async fn deliver_due(&self) -> Result<DeliveryRound, MailError> {
        let claimed = self
            .store
            .claim_due_notifications(&self.claim, corridor_store::now())
            .await?;
        let mut round = DeliveryRound {
            claimed: claimed.len(),
            ..DeliveryRound::default()
        };
        if claimed.is_empty() {
            return Ok(round);
        }
        let outcomes: Vec<Outcome> = futures_util::stream::iter(claimed)
            .map(|notification| self.send_one(notification))
            .buffer_unordered(self.settings.concurrent_sends.max(1))
            .collect()
            .await;
        // The accepted messages are marked first: should recording a failure go wrong, they
        // are not sent again.
        let sent: Vec<i64> = outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Outcome::Sent(id) => Some(*id),
                _ => None,
            })
            .collect();
        round.sent = sent.len();
        self.store
            .mark_notifications_sent(&sent, corridor_store::now())
            .await?;
        for outcome in outcomes {
            match outcome {
                Outcome::Sent(_) => {}
                Outcome::Released(id) => {
                    let now = corridor_store::now();
                    self.store
                        .mark_notification_failed(
                            id,
                            &self.claim.claimer,
                            "not sent: the claim's lease ran out",
                            now,
                        )
                        .await?;
                    round.released += 1;
                }
                Outcome::Failed {
                    id,
                    error,
                    permanent,
                    attempts,
                } => {
                    let now = corridor_store::now();
                    if permanent || attempts >= self.settings.retry.max_attempts {
                        tracing::warn!(notification = id, attempts, %error, "giving up on a notification");
                        self.store
                            .give_up_notification(
                                id,
                                &self.claim.claimer,
                                &error,
                                now,
                                &AuditContext::default(),
                            )
                            .await?;
                        round.given_up += 1;
                    } else {
                        let retry_at = now
                            .checked_add(self.settings.retry.delay_after(attempts))
                            .unwrap_or(now);
                        self.store
                            .mark_notification_failed(id, &self.claim.claimer, &error, retry_at)
                            .await?;
                        round.retrying += 1;
                    }
                }
            }
        }
        Ok(round)
    }

    /// Rounds until nothing is due now (messages waiting for a retry later are left); for
    /// tests, benchmarks and operators.
    pub async fn deliver_until_nothing_is_due(&self) -> Result<DeliveryRound, MailError> {
        let mut total = DeliveryRound::default();
        loop {
            let round = self.deliver_due().await?;
            total.add(round);
            if round.claimed == 0 {
                return Ok(total);
            }
        }
    }

    async fn send_one(&self, notification: ClaimedNotification) -> Outcome {
        let id = notification.id;
        if corridor_store::now() + LEASE_SAFETY_MARGIN.min(self.settings.lease / 2)
            > notification.lease_until
        {
            return Outcome::Released(id);
        }
        let attempts = notification.attempts;
        let message = match self.render(&notification) {
            Ok(message) => message,
            // A message that cannot be rendered (an address the builder refuses) never will.
            Err(error) => {
                return Outcome::Failed {
                    id,
                    error,
                    permanent: true,
                    attempts,
                }
            }
        };
        match tokio::time::timeout(self.settings.smtp_timeout, self.connections.send(&message))
            .await
        {
            Ok(Ok(())) => Outcome::Sent(id),
            Ok(Err(error)) => Outcome::Failed {
                id,
                error: error.text,
                permanent: error.permanent,
                attempts,
            },
            Err(_) => Outcome::Failed {
                id,
                error: format!(
                    "the SMTP exchange took longer than {:?}",
                    self.settings.smtp_timeout
                ),
                permanent: false,
                attempts,
            },
        }
    }

    /// The RFC 5322 message of a notification.
    fn render(&self, notification: &ClaimedNotification) -> Result<Message, String> {
        let address: lettre::Address = notification
            .recipient_email
            .parse()
            .map_err(|error| format!("recipient {:?}: {error}", notification.recipient_email))?;
        let recipient = Mailbox::new(Some(notification.recipient_name.clone()), address);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(notification.subject.clone())
            .message_id(Some(notification.message_id.clone()))
            // The Date is when the notification was written, the same on every attempt.
            .date(std::time::SystemTime::from(notification.created_at));
        let text = SinglePart::plain(notification.body.clone());
        let message = match &notification.ics {
            // A mail about an event: the text, then the event as a calendar attachment that
            // mail clients offer to add (RFC 6047 names the method in the content type).
            Some(ics) => {
                let content_type = ContentType::parse(&format!(
                    "text/calendar; charset=utf-8; method={}",
                    calendar_method(ics)
                ))
                .map_err(|error| format!("the calendar's content type: {error}"))?;
                let attachment =
                    Attachment::new("booking.ics".to_owned()).body(ics.clone(), content_type);
                builder.multipart(MultiPart::mixed().singlepart(text).singlepart(attachment))
            }
            // A single text/plain part, which also gives the message its MIME-Version.
            None => builder.singlepart(text),
        };
        message.map_err(|error| format!("building the message: {error}"))
    }
}

/// The iTIP method a calendar declares (its `METHOD` line), `PUBLISH` when it names none.
fn calendar_method(ics: &str) -> &str {
    ics.lines()
        .find_map(|line| line.strip_prefix("METHOD:"))
        .map(str::trim)
        .filter(|method| {
            !method.is_empty()
                && method
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .unwrap_or("PUBLISH")
}

/// A connection kept idle longer than this is asked whether it still lives (NOOP) before
/// its next message; one used more recently is trusted, which saves a round trip per message.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(2);

/// Why a message did not go.
struct SendError {
    text: String,
    /// The server refused it with a 5xx: trying again will not help.
    permanent: bool,
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(error: lettre::transport::smtp::Error) -> SendError {
        SendError {
            text: crate::indexes::error_chain(&error),
            permanent: error.is_permanent(),
        }
    }
}

/// Persistent SMTP connections to the relay, at most one per message in flight, kept between
/// messages and rounds. lettre's own pool is not used because it cannot set TCP_NODELAY:
/// lettre writes a message and its terminating dot in two writes, and with Nagle's algorithm
/// the second waits for the server's delayed acknowledgement of the first (40 ms on Linux),
/// which held each connection to about twenty messages a second.
struct SmtpConnections {
    relay: SmtpRelay,
    hello_name: ClientId,
    credentials: Option<Credentials>,
    timeout: Duration,
    most_idle: usize,
    idle: tokio::sync::Mutex<Vec<(AsyncSmtpConnection, std::time::Instant)>>,
}

impl SmtpConnections {
    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let network = |error: std::io::Error| SendError {
            text: format!(
                "connecting to {}:{}: {error}",
                self.relay.host, self.relay.port
            ),
            permanent: false,
        };
        let stream = tokio::time::timeout(
            self.timeout,
            tokio::net::TcpStream::connect((self.relay.host.as_str(), self.relay.port)),
        )
        .await
        .map_err(|_| network(std::io::ErrorKind::TimedOut.into()))?
        .map_err(network)?;
        stream.set_nodelay(true).map_err(network)?;
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello_name).await?;
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(connection)
    }

    /// Sends one message on an idle connection, or a new one; keeps the connection for the
    /// next message unless the exchange broke it.
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let reused = self.idle.lock().await.pop();
        let mut connection = match reused {
            Some((connection, idle_since)) if idle_since.elapsed() < IDLE_CHECK_AFTER => connection,
            Some((mut connection, _)) => {
                if connection.test_connected().await {
                    connection
                } else {
                    connection.abort().await;
                    self.open().await?
                }
            }
            None => self.open().await?,
        };
        let sent = connection
            .send(message.envelope(), &message.formatted())
            .await;
        if sent.is_ok() && !connection.has_broken() {
            let mut idle = self.idle.lock().await;
            if idle.len() < self.most_idle {
                idle.push((connection, std::time::Instant::now()));
                return Ok(());
            }
        }
        connection.abort().await;
        sent.map(|_| ()).map_err(SendError::from)
    }
}

/// Starts the mailer job: a round, then at once another while rounds find a full batch and
/// send it all, else a wait of `idle_wait`. Failures are logged and retried.
pub fn spawn_mail_delivery(
    store: Arc<dyn Store>,
    settings: MailerSettings,
) -> Result<tokio::task::JoinHandle<()>, MailError> {
    let mailer = Mailer::new(store, settings)?;
    tracing::info!(
        claimer = mailer.claimer(),
        smtp = %redacted_url(&mailer.settings.smtp_url),
        "delivering notifications over SMTP"
    );
    Ok(tokio::spawn(async move {
        loop {
            match mailer.deliver_due().await {
                Ok(round) => {
                    if round.sent > 0 || round.given_up > 0 || round.retrying > 0 {
                        tracing::debug!(?round, "mail round");
                    }
                    let more_waiting = round.claimed as u32 == mailer.claim.limit
                        && round.retrying == 0
                        && round.given_up == 0;
                    if !more_waiting {
                        tokio::time::sleep(mailer.settings.idle_wait).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %crate::indexes::error_chain(&error), "delivering notifications failed; retrying");
                    tokio::time::sleep(mailer.settings.idle_wait).await;
                }
            }
        }
    }))
}

/// A name for this process's claims: the host, the process id and a random part, so that
/// two mailers never share one even on one host.
fn claimer_name() -> String {
    use rand::Rng;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".to_owned());
    let random: u32 = rand::thread_rng().gen();
    format!("{host}:{}:{random:08x}", std::process::id())
}

/// The URL with its password replaced, for the log.
fn redacted_url(url: &str) -> String {
    match SmtpRelay::parse(url) {
        Ok(relay) => format!("smtp://{}:{}", relay.host, relay.port),
        Err(_) => "(invalid)".to_owned(),
    }
}

/// Where the mail goes, read from `smtp://[user:password@]host[:port]`.
#[derive(Debug, PartialEq, Eq)]
struct SmtpRelay {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl SmtpRelay {
    const DEFAULT_PORT: u16 = 25;

    fn parse(url: &str) -> Result<SmtpRelay, MailError> {
        let invalid = |reason: &str| MailError::InvalidSmtpUrl {
            url: redact_password(url),
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| invalid("expected smtp://host[:port] (this build speaks plain SMTP to a relay, without TLS)"))?;
        if rest.contains(['?', '/', '#']) {
            return Err(invalid("no path or query is understood after host:port"));
        }
        let (credentials, place) = match rest.rsplit_once('@') {
            Some((userinfo, place)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (
                    Some((
                        percent_decoded(user).map_err(|_| invalid("bad %-escape in the user"))?,
                        percent_decoded(password)
                            .map_err(|_| invalid("bad %-escape in the password"))?,
                    )),
                    place,
                )
            }
            None => (None, rest),
        };
        let port_number = |port: &str| {
            port.parse::<u16>()
                .map_err(|_| invalid("the port is not a number from 1 to 65535"))
        };
        // An IPv6 address is bracketed, since its colons would read as the port's.
        let (host, port) = match place.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| invalid("an IPv6 address without its closing bracket"))?;
                match after.strip_prefix(':') {
                    Some(port) => (host, port_number(port)?),
                    None if after.is_empty() => (host, Self::DEFAULT_PORT),
                    None => return Err(invalid("text after the IPv6 address")),
                }
            }
            None => match place.rsplit_once(':') {
                Some((host, port)) => (host, port_number(port)?),
                None => (place, Self::DEFAULT_PORT),
            },
        };
        if host.is_empty() || port == 0 {
            return Err(invalid("no host, or port 0"));
        }
        Ok(SmtpRelay {
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***@{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// `%XX` escapes decoded, as URLs carry user names and passwords.
fn percent_decoded(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3).ok_or(())?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_bound() {
        let policy = RetryPolicy {
            first_delay: SignedDuration::from_secs(30),
            longest_delay: SignedDuration::from_mins(10),
            max_attempts: 10,
        };
        let delays: Vec<i64> = (1..=7)
            .map(|attempts| policy.delay_after(attempts).as_secs())
            .collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 600, 600]);
        assert_eq!(policy.delay_after(1_000).as_secs(), 600);
        assert_eq!(policy.delay_after(0).as_secs(), 30);
    }

    #[test]
    fn smtp_urls_name_a_relay_or_are_refused() {
        assert_eq!(
            SmtpRelay::parse("smtp://127.0.0.1:2525").unwrap(),
            SmtpRelay {
                host: "127.0.0.1".into(),
                port: 2525,
                credentials: None
            }
        );
        assert_eq!(
            SmtpRelay::parse("smtp://mail%40x:p%3Ass@relay.example").unwrap(),
            SmtpRelay {
                host: "relay.example".into(),
                port: 25,
                credentials: Some(("mail@x".into(), "p:ss".into()))
            }
        );
        assert_eq!(SmtpRelay::parse("smtp://[::1]:2525").unwrap().host, "::1");
        assert_eq!(SmtpRelay::parse("smtp://[::1]").unwrap().port, 25);
        for refused in [
            "smtps://relay.example",
            "http://relay.example",
            "smtp://relay.example:notaport",
            "smtp://:25",
            "smtp://relay.example/ehlo",
        ] {
            assert!(SmtpRelay::parse(refused).is_err(), "{refused}");
        }
        let error = SmtpRelay::parse("smtps://user:secret@relay.example").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
