//! The mailer against a real SMTP server: `scripts/smtp-sink` (aiosmtpd writing every accepted
//! message into a maildir), started by each test as a child process on a port of its own, so
//! that a test can kill it with SIGKILL and start it again.
//!
//! The sink runs on the Python named by `CORRIDOR_TEST_SMTP_PYTHON` (scripts/test points it at
//! a virtual environment with aiosmtpd), else on `python3`. When it cannot start, the tests
//! fail and say why; they never skip.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corridor_app::mail::{Mailer, MailerSettings, RetryPolicy};
use corridor_store::beamtime::NewNotification;
use corridor_store::{AuditContext, OutboxCounts, SqliteStore, Store};
use jiff::SignedDuration;

const SENDER: &str = "Corridor <noreply@corridor.test>";

/// A running `scripts/smtp-sink` and its maildir.
pub struct SmtpSink {
    child: std::process::Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl SmtpSink {
    /// Starts a sink on `port` (0: a free one) delivering into `maildir`; returns once it
    /// listens.
    pub fn start(maildir: &Path, port: u16) -> SmtpSink {
        let python =
            std::env::var("CORRIDOR_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink");
        let mut child = std::process::Command::new(&python)
            .arg(&script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--maildir")
            .arg(maildir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("starting the SMTP sink with {python:?} failed: {error}")
            });
        let mut first_line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("the sink's stdout"))
            .read_line(&mut first_line)
            .expect("reading the sink's first line");
        let port = first_line
            .strip_prefix("ready ")
            .and_then(|port| port.trim().parse().ok())
            .unwrap_or_else(|| {
                let status = child.wait();
                panic!(
                    "the SMTP sink did not start (it said {first_line:?}, exit {status:?}); it needs \
                     aiosmtpd: run scripts/test, or set CORRIDOR_TEST_SMTP_PYTHON to a Python that has it"
                )
            });
        SmtpSink {
            child,
            port,
            maildir: maildir.to_owned(),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, as a crash would stop it: no goodbye to the connected clients.
    pub fn kill(&mut self) {
        self.child.kill().expect("killing the SMTP sink");
        self.child.wait().expect("reaping the SMTP sink");
    }

    /// Every message in the maildir.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        read_maildir(&self.maildir)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The headers a test looks at, from one delivered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub delivered_to: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// The top-level Content-Type, parameters included.
    pub content_type: String,
    pub body: String,
}

pub fn read_maildir(maildir: &Path) -> Vec<ReceivedMessage> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .map(|entry| {
            let path = entry.expect("a maildir entry").path();
            parse_message(&std::fs::read_to_string(&path).expect("a delivered message"))
        })
        .collect()
}

/// Headers unfolded (RFC 5322 §2.2.3) and the body as sent.
fn parse_message(text: &str) -> ReceivedMessage {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .expect("a message has headers and a body");
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut last = String::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(value) = headers.get_mut(&last) {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            last = name.trim().to_ascii_lowercase();
            headers
                .entry(last.clone())
                .or_insert_with(|| value.trim().to_owned());
        }
    }
    let header = |name: &str| headers.get(name).cloned().unwrap_or_default();
    ReceivedMessage {
        delivered_to: header("delivered-to"),
        from: header("from"),
        to: header("to"),
        subject: header("subject"),
        message_id: header("message-id"),
        content_type: header("content-type"),
        body: body.replace("\r\n", "\n"),
    }
}

/// A store with a small region, in a directory of its own.
async fn outbox_store() -> (
    Arc<dyn Store>,
    Vec<corridor_domain::User>,
    tempfile::TempDir,
) {
    let directory = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        directory.path().join("mail.sqlite").display()
    );
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    store.migrate().await.unwrap();
    let region = crate::support::region();
    let users = region.users.iter().map(|user| user.user.clone()).collect();
    store.import_region(&region).await.unwrap();
    (store, users, directory)
}

/// Queues `count` notifications for the region's users in turn; answers them with their ids.
async fn queue(
    store: &dyn Store,
    users: &[corridor_domain::User],
    count: usize,
) -> Vec<(i64, NewNotification)> {
    let notifications: Vec<NewNotification> = (0..count)
        .map(|number| NewNotification {
            user: users[number % users.len()].id,
            kind: "test".to_owned(),
            subject: format!("Decision on proposal {number}"),
            body: format!("Dear colleague,\n\nnotification {number}.\n"),
        })
        .collect();
    let ids = store
        .queue_notifications(
            &notifications,
            corridor_store::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    ids.into_iter().zip(notifications).collect()
}

fn settings(url: String) -> MailerSettings {
    MailerSettings {
        batch_size: 40,
        concurrent_sends: 4,
        smtp_timeout: Duration::from_secs(5),
        idle_wait: Duration::from_millis(50),
        retry: RetryPolicy {
            first_delay: SignedDuration::from_millis(100),
            longest_delay: SignedDuration::from_millis(400),
            max_attempts: 1_000,
        },
        ..MailerSettings::new(url, SENDER)
    }
}

#[tokio::test]
async fn every_notification_arrives_once_with_its_recipient_subject_and_message_id() {
    let (store, users, directory) = outbox_store().await;
    let queued = queue(store.as_ref(), &users, 230).await;
    let sink = SmtpSink::start(&directory.path().join("maildir"), 0);
    let mailer = Mailer::new(store.clone(), settings(sink.url())).unwrap();

    let delivered = mailer.deliver_until_nothing_is_due().await.unwrap();
    assert_eq!(delivered.sent, 230, "{delivered:?}");
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 0,
            sent: 230,
            given_up: 0
        }
    );
    // Nothing is due any more: a second pass sends nothing.
    assert_eq!(mailer.deliver_until_nothing_is_due().await.unwrap().sent, 0);

    let sample = std::fs::read_dir(sink.maildir.join("new"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    println!(
        "a delivered message, as the sink wrote it:\n{}",
        std::fs::read_to_string(sample).unwrap()
    );
    let received: BTreeMap<String, ReceivedMessage> = sink
        .messages()
        .into_iter()
        .map(|message| (message.message_id.clone(), message))
        .collect();
    assert_eq!(sink.messages().len(), 230, "every message once");
    assert_eq!(received.len(), 230, "every Message-ID once");
    for (id, notification) in &queued {
        let user = users
            .iter()
            .find(|user| user.id == notification.user)
            .unwrap();
        let message = received
            .get(&format!("<notification-{id}@corridor.test>"))
            .unwrap_or_else(|| panic!("notification {id} did not arrive"));
        assert_eq!(message.delivered_to, user.email.as_str());
        assert!(
            message.to.contains(&format!("<{}>", user.email.as_str())),
            "{message:?}"
        );
        assert_eq!(message.subject, notification.subject);
        assert!(message.from.contains("<noreply@corridor.test>"));
        // The message ends with a line break of its own after the body.
        assert_eq!(message.body.trim_end(), notification.body.trim_end());
    }
}

#[tokio::test]
async fn a_sink_killed_mid_delivery_and_restarted_loses_nothing() {
    let (store, users, directory) = outbox_store().await;
    let queued = queue(store.as_ref(), &users, 1_500).await;
    let maildir = directory.path().join("maildir");
    let mut sink = SmtpSink::start(&maildir, 0);
    let port = sink.port;
    let job = corridor_app::mail::spawn_mail_delivery(store.clone(), settings(sink.url())).unwrap();

    let started = Instant::now();
    while read_maildir(&maildir).len() < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "300 messages did not arrive in a minute"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sink.kill();
    let at_kill = read_maildir(&maildir).len();
    // Down long enough for sends to fail and back off.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let pending_while_down = store.outbox_counts().await.unwrap().pending;
    let sink = SmtpSink::start(&maildir, port);

    let restarted = Instant::now();
    while store.outbox_counts().await.unwrap().pending > 0 {
        assert!(
            restarted.elapsed() < Duration::from_secs(120),
            "the outbox did not drain within two minutes of the restart: {:?}",
            store.outbox_counts().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    job.abort();

    let messages = sink.messages();
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for message in &messages {
        *copies.entry(message.message_id.clone()).or_default() += 1;
    }
    let lost: Vec<i64> = queued
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !copies.contains_key(&format!("<notification-{id}@corridor.test>")))
        .collect();
    let duplicates = messages.len() - copies.len();
    println!(
        "mail kill round: {} queued, {at_kill} delivered before the SIGKILL, {pending_while_down} pending while down, \
         {} files after the restart, {} lost, {duplicates} duplicates by Message-ID",
        queued.len(),
        messages.len(),
        lost.len()
    );
    assert!(pending_while_down > 0, "the kill came after the last send");
    assert_eq!(lost, Vec::<i64>::new(), "messages were lost");
    assert_eq!(copies.len(), queued.len());
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 0,
            sent: 1_500,
            given_up: 0
        }
    );
}

#[tokio::test]
async fn a_message_that_cannot_be_delivered_is_given_up_after_its_attempts_and_kept() {
    let (store, users, _directory) = outbox_store().await;
    let queued = queue(store.as_ref(), &users, 3).await;
    // A port nobody listens on: every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = settings(format!("smtp://127.0.0.1:{port}"));
    settings.retry = RetryPolicy {
        first_delay: SignedDuration::from_millis(10),
        longest_delay: SignedDuration::from_millis(10),
        max_attempts: 3,
    };
    let mailer = Mailer::new(store.clone(), settings).unwrap();
    let mut rounds = 0;
    while store.outbox_counts().await.unwrap().pending > 0 {
        rounds += 1;
        assert!(rounds < 200, "never gave up");
        mailer.deliver_due().await.unwrap();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 0,
            sent: 0,
            given_up: 3
        }
    );
    let undeliverable = store.undeliverable_notifications(10).await.unwrap();
    assert_eq!(undeliverable.len(), 3);
    for row in &undeliverable {
        assert_eq!(row.attempts, 3);
        assert!(queued.iter().any(|(id, _)| *id == row.id));
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|error| !error.is_empty()),
            "{row:?}"
        );
    }
}

#[test]
fn a_bad_sender_or_smtp_url_is_refused_at_start() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (store, _, _directory) = outbox_store().await;
        assert!(Mailer::new(
            store.clone(),
            MailerSettings::new("smtp://127.0.0.1:2525", "not an address")
        )
        .is_err());
        assert!(Mailer::new(
            store.clone(),
            MailerSettings::new("smtps://127.0.0.1:2525", SENDER)
        )
        .is_err());
    });
}

/// The `text/calendar` part of a multipart message: its headers (unfolded, lower-cased names)
/// and its content decoded from the transfer encoding.
fn calendar_part(message: &ReceivedMessage) -> Option<(BTreeMap<String, String>, String)> {
    let boundary = message
        .content_type
        .split(';')
        .find_map(|parameter| parameter.trim().strip_prefix("boundary="))?
        .trim_matches('"')
        .to_owned();
    message
        .body
        .split(&format!("--{boundary}"))
        .filter_map(|part| {
            let (head, content) = part.trim_start_matches('\n').split_once("\n\n")?;
            let mut headers: BTreeMap<String, String> = BTreeMap::new();
            let mut last = String::new();
            for line in head.lines() {
                if line.starts_with([' ', '\t']) {
                    if let Some(value) = headers.get_mut(&last) {
                        value.push_str(line);
                    }
                } else if let Some((name, value)) = line.split_once(':') {
                    last = name.trim().to_ascii_lowercase();
                    headers.insert(last.clone(), value.trim().to_owned());
                }
            }
            Some((headers, content.to_owned()))
        })
        .find(|(headers, _)| {
            headers
                .get("content-type")
                .is_some_and(|value| value.starts_with("text/calendar"))
        })
        .map(|(headers, content)| {
            let decoded = match headers
                .get("content-transfer-encoding")
                .map(|value| value.to_ascii_lowercase())
                .as_deref()
            {
                Some("base64") => {
                    use base64::Engine as _;
                    let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(compact)
                            .expect("base64 calendar"),
                    )
                    .expect("a UTF-8 calendar")
                }
                Some("quoted-printable") => quoted_printable(&content),
                _ => content,
            };
            (headers, decoded)
        })
}

/// RFC 2045 quoted-printable, decoded (soft line breaks joined, `=XX` octets restored).
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match (bytes[index], joined.get(index + 1..index + 3)) {
            (b'=', Some(hex)) if u8::from_str_radix(hex, 16).is_ok() => {
                decoded.push(u8::from_str_radix(hex, 16).unwrap());
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).expect("a UTF-8 calendar")
}

#[tokio::test]
async fn a_booking_confirmation_arrives_with_its_calendar_attached() {
    let (store, users, directory) = outbox_store().await;
    let mut instrument = store.all_instruments().await.unwrap()[0].instrument.clone();
    instrument.id = corridor_domain::InstrumentId(0);
    instrument.access_policy = corridor_domain::AccessPolicy::Open;
    instrument.booking_mode = corridor_domain::BookingMode::Instant;
    instrument.training_required = false;
    instrument.opening_hours =
        corridor_domain::WeeklyOpeningHours::parse("Mon-Sun 08:00-20:00").unwrap();
    instrument.time_zone = corridor_domain::TimeZoneName::asia_shanghai();
    let instrument = store
        .create_instrument(&instrument, &AuditContext::default())
        .await
        .unwrap();
    let user = &users[0];
    let request = corridor_store::BookingRequest {
        instrument,
        user: user.id,
        range: crate::support::shanghai_slot(3, 10, 1),
        purpose: "SEM of a fracture surface".into(),
        idempotency_key: None,
        join_waitlist_if_taken: false,
    };
    let booking = match store
        .create_booking(&request, corridor_store::now(), &AuditContext::default())
        .await
        .unwrap()
    {
        corridor_store::BookingAttempt::Booked { booking, .. } => booking,
        other => panic!("expected a booking, got {other:?}"),
    };
    let sink = SmtpSink::start(&directory.path().join("maildir"), 0);
    let mailer = Mailer::new(store.clone(), settings(sink.url())).unwrap();
    assert_eq!(mailer.deliver_until_nothing_is_due().await.unwrap().sent, 1);

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.delivered_to, user.email.as_str());
    assert!(
        message.content_type.starts_with("multipart/mixed"),
        "{message:?}"
    );
    let (headers, ics) = calendar_part(message).expect("a text/calendar part");
    let content_type = &headers["content-type"];
    assert!(content_type.contains("method=PUBLISH"), "{content_type}");
    assert!(
        headers
            .get("content-disposition")
            .is_some_and(|value| value.contains("booking.ics")),
        "{headers:?}"
    );
    let unfolded = icalendar::parser::unfold(&ics);
    let calendar = icalendar::parser::read_calendar(&unfolded)
        .unwrap_or_else(|error| panic!("{error}\n{ics}"));
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|component| component.name.as_str() == "VEVENT")
        .collect();
    assert_eq!(events.len(), 1, "{ics}");
    let uid = events[0]
        .properties
        .iter()
        .find(|property| property.name.as_str() == "UID")
        .map(|property| property.val.as_str().to_owned());
    assert_eq!(uid, Some(format!("booking-{}@corridor", booking.id.0)));
    assert!(
        calendar
            .components
            .iter()
            .any(|component| component.name.as_str() == "VTIMEZONE"),
        "{ics}"
    );
    assert!(ics.contains("BEGIN:VTIMEZONE"), "{ics}");
}
