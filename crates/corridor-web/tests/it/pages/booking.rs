//! Booking through the pages over real HTTP: the week calendar on the instrument page, the
//! booking form (price check, booking, refusals, the waitlist), "my bookings" with its cancel
//! button, the manager console's approvals and one instrument's calendar tools.

use jiff::{SignedDuration, Timestamp};

use super::csrf_token_in;
use crate::bookings::{call, json_of, managed_instrument, token};
use crate::support::{client, sqlite_server, TestServer};

/// A browser signed in through the sign-in form, as a person would.
pub(super) async fn signed_in_browser(server: &TestServer, email: &str) -> reqwest::Client {
    let browser = client();
    let signed_in = super::post_sign_in(server, &browser, email, None).await;
    assert_eq!(signed_in.status(), 303, "signing in as {email}");
    browser
}

/// The display name of a demo account, which pages show to some viewers and not others.
async fn display_name_of(server: &TestServer, email: &str) -> String {
    let token = token(server, email).await;
    let me = json_of(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/me",
            Some(&token),
            None,
        )
        .await,
        200,
        "me",
    )
    .await;
    me["display_name"].as_str().unwrap().to_owned()
}

/// Fetches a page and returns its status and HTML.
pub(super) async fn page(browser: &reqwest::Client, url: String) -> (u16, String) {
    let response = browser.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Posts a page's form with the browser's CSRF token (read from `form_page`) and returns the
/// status, the redirect target if any, and the HTML.
pub(super) async fn post_form(
    browser: &reqwest::Client,
    form_page: String,
    action: String,
    fields: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let (_, html) = page(browser, form_page).await;
    let csrf = csrf_token_in(&html);
    let mut body: Vec<(&str, &str)> = fields.to_vec();
    body.push(("csrf_token", csrf.as_str()));
    let response = browser.post(action).form(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, location, response.text().await.unwrap())
}

/// The local Shanghai date `days` days from now, as the booking form's date field wants it.
pub(super) fn shanghai_date_in(days: i64) -> String {
    let zone = jiff::tz::db().get("Asia/Shanghai").unwrap();
    (Timestamp::now() + SignedDuration::from_hours(24 * days))
        .to_zoned(zone)
        .date()
        .to_string()
}

/// Books a slot through the booking form as `browser` and returns the new booking's id,
/// taken from the redirect to "my bookings".
async fn book_through_the_form(
    server: &TestServer,
    browser: &reqwest::Client,
    instrument: i64,
    date: &str,
    start: &str,
    end: &str,
) -> i64 {
    let (status, location, html) = post_form(
        browser,
        server.url(&format!("/instruments/{instrument}")),
        server.url(&format!("/instruments/{instrument}/book")),
        &[
            ("intent", "book"),
            ("date", date),
            ("start", start),
            ("end", end),
            ("purpose", "wafer inspection"),
        ],
    )
    .await;
    assert_eq!(status, 303, "booking through the form: {html}");
    let location = location.unwrap();
    assert!(
        location.starts_with("/bookings?notice=booked&booking="),
        "{location}"
    );
    location.rsplit('=').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_instrument_page_shows_the_week_calendar_and_the_booking_form() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    let url = server.url(&format!("/instruments/{instrument}?lang=en"));

    // Anonymous visitors see the calendar in the instrument's zone and a sign-in link.
    let (status, html) = page(&client(), url.clone()).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-testid="week-calendar""#), "{html}");
    assert!(html.contains(r#"data-testid="calendar-zone">Asia/Shanghai<"#));
    // Open every day 08:00-20:00: twelve hour rows of seven days each.
    assert_eq!(html.matches(r#"<td class="cell "#).count(), 12 * 7);
    assert!(
        html.contains(r#"<th scope="row">08:00</th>"#)
            && html.contains(r#"<th scope="row">19:00</th>"#)
    );
    assert!(!html.contains(r#"<th scope="row">20:00</th>"#));
    assert!(html.contains(r#"data-testid="sign-in-to-book""#));
    assert!(!html.contains(r#"data-testid="booking-form""#));

    // Signed in, the form is there, and a free cell's link fills it in for that hour.
    let researcher = signed_in_browser(&server, "researcher@corridor.demo").await;
    let next_week_day = shanghai_date_in(7);
    let (status, html) = page(
        &researcher,
        server.url(&format!(
            "/instruments/{instrument}?lang=en&date={next_week_day}&start=10:00"
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-testid="booking-form""#));
    assert!(
        html.contains(r#"data-testid="free-slot""#),
        "free cells link to the form"
    );
    assert!(html.contains(&format!(r#"name="date" value="{next_week_day}""#)));
    assert!(
        html.contains(r#"name="start" value="10:00""#)
            && html.contains(r#"name="end" value="11:00""#)
    );
    assert!(
        html.contains(&format!(r#"data-date="{next_week_day}""#)),
        "the chosen date's week is shown"
    );
    assert!(
        html.contains(r#"href="/bookings""#),
        "the navigation offers my bookings"
    );
    assert!(
        !html.contains(r#"data-testid="nav-manage""#),
        "researchers manage nothing"
    );

    // A malformed week is a page that says what is wrong, not a server error.
    let (status, html) = page(
        &researcher,
        server.url(&format!(
            "/instruments/{instrument}?lang=en&week=2026-13-45"
        )),
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("is not a date like 2026-12-07"), "{html}");
    server.finish().await;
}

#[tokio::test]
async fn booking_through_the_form_quotes_the_price_then_books_and_lists_the_booking() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    let company = signed_in_browser(&server, "company@corridor.demo").await;
    let date = shanghai_date_in(7);
    let instrument_page = server.url(&format!("/instruments/{instrument}?lang=en"));
    let book = server.url(&format!("/instruments/{instrument}/book"));

    // "Check price": the industry rate for two hours, and a button that books what was quoted.
    let (status, _, html) = post_form(
        &company,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "quote"),
            ("date", &date),
            ("start", "10:00"),
            ("end", "12:00"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"data-testid="quote-price">¥600.00<"#),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="quote-class">Industry<"#));
    assert!(html.contains(r#"data-testid="book-button">Book<"#));
    assert!(!html.contains(r#"data-testid="quote-refusal""#));

    // Bad input gets a message on the page, in the page's language.
    let (status, _, html) = post_form(
        &company,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "quote"),
            ("date", &date),
            ("start", "12:00"),
            ("end", "10:00"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("The end must be after the start."), "{html}");
    let (status, _, html) = post_form(
        &company,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "quote"),
            ("date", "next tuesday"),
            ("start", "10:00"),
            ("end", ""),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("is not a date like 2026-12-07")
            && html.contains("Choose a start and an end time."),
        "{html}"
    );
    // A refusal says why, in Chinese on a Chinese page, before anything is booked …
    let chinese_page = server.url(&format!("/instruments/{instrument}?lang=zh"));
    let (status, _, html) = post_form(
        &company,
        chinese_page,
        book.clone(),
        &[
            ("intent", "quote"),
            ("date", &date),
            ("start", "20:00"),
            ("end", "21:00"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="quote-refusal""#) && html.contains("不开放"),
        "{html}"
    );
    assert!(!html.contains(r#"data-testid="book-button""#));
    // … and when booking anyway.
    let (status, _, html) = post_form(
        &company,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "book"),
            ("date", &date),
            ("start", "10:15"),
            ("end", "11:15"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("is off the grid"), "{html}");

    // "Book": redirected to my bookings, where the booking is listed as pending.
    let booking =
        book_through_the_form(&server, &company, instrument, &date, "10:00", "12:00").await;
    let (status, html) = page(
        &company,
        server.url(&format!(
            "/bookings?lang=en&notice=booked&booking={booking}"
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("It is pending until the instrument&#39;s manager approves it."),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"<tr data-booking-id="{booking}" data-status="pending" class="highlighted">"#
        )),
        "{html}"
    );
    assert!(html.contains("¥600.00") && html.contains("10:00–12:00"));
    assert!(
        html.contains(r#"data-testid="cancel-booking""#),
        "a booking a week ahead can be cancelled"
    );
    // Cancelling asks first: the button that cancels sits behind the question.
    let confirm_at = html.find(r#"data-testid="cancel-confirm""#).unwrap();
    let button_at = html.find(r#"data-testid="cancel-booking""#).unwrap();
    let question_at = html.find("Cancel this booking?").unwrap();
    assert!(confirm_at < question_at && question_at < button_at);

    // The slot now shows as the company's own on the calendar, and as taken to others.
    let (_, html) = page(
        &company,
        server.url(&format!("/instruments/{instrument}?lang=en&week={date}")),
    )
    .await;
    assert!(
        html.contains(&format!(
            r#"data-state="mine" data-date="{date}" data-time="10:00""#
        )),
        "{html}"
    );
    let (_, html) = page(
        &client(),
        server.url(&format!("/instruments/{instrument}?lang=en&week={date}")),
    )
    .await;
    assert!(html.contains(&format!(
        r#"data-state="busy" data-date="{date}" data-time="11:00""#
    )));
    let company_name = display_name_of(&server, "company@corridor.demo").await;
    assert!(
        !html.contains(&company_name),
        "visitors do not see who booked"
    );

    // Another user finds the time taken: the quote says so and offers only the waitlist,
    // which they join and then leave again from their bookings page.
    let researcher = signed_in_browser(&server, "researcher@corridor.demo").await;
    let (status, _, html) = post_form(
        &researcher,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "quote"),
            ("date", &date),
            ("start", "11:00"),
            ("end", "12:00"),
            ("join_waitlist", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="quote-slot-taken""#)
            && html.contains(r#"data-testid="book-button">Join the waitlist<"#),
        "{html}"
    );
    let (status, location, _) = post_form(
        &researcher,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "book"),
            ("date", &date),
            ("start", "11:00"),
            ("end", "12:00"),
            ("join_waitlist", "1"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/bookings?notice=waitlisted"))
    );
    let (_, html) = page(&researcher, server.url("/bookings?lang=en")).await;
    let entry: i64 = html
        .split(r#"<tr data-waitlist-id=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .expect("the waitlist entry is listed");
    assert!(html.contains(&format!(
        r#"<tr data-waitlist-id="{entry}" data-status="waiting">"#
    )));
    let (status, _, _) = post_form(
        &researcher,
        server.url("/bookings"),
        server.url(&format!("/waitlist/{entry}/withdraw")),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&researcher, server.url("/bookings?lang=en")).await;
    assert!(
        html.contains(&format!(
            r#"<tr data-waitlist-id="{entry}" data-status="withdrawn">"#
        )),
        "{html}"
    );

    // Cancelling through the page's button takes it off the calendar.
    let (status, location, _) = post_form(
        &company,
        server.url("/bookings"),
        server.url(&format!("/bookings/{booking}/cancel")),
        &[],
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (
            303,
            Some(format!("/bookings?notice=cancelled&booking={booking}").as_str())
        )
    );
    let (_, html) = page(&company, server.url("/bookings?lang=en")).await;
    assert!(
        html.contains(&format!(
            r#"data-booking-id="{booking}" data-status="cancelled""#
        )),
        "{html}"
    );
    server.finish().await;
}

#[tokio::test]
async fn the_manager_console_is_forbidden_to_researchers_and_approves_pending_bookings() {
    let server = sqlite_server().await;
    let manager_token = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager_token).await;

    let researcher = signed_in_browser(&server, "researcher@corridor.demo").await;
    let (status, html) = page(&researcher, server.url("/manage?lang=en")).await;
    assert_eq!(status, 403);
    assert!(
        html.contains("Only instrument managers have a console"),
        "{html}"
    );
    let anonymous = client().get(server.url("/manage")).send().await.unwrap();
    assert_eq!(anonymous.status(), 303, "visitors are sent to sign in");

    let company = signed_in_browser(&server, "company@corridor.demo").await;
    let date = shanghai_date_in(8);
    let booking =
        book_through_the_form(&server, &company, instrument, &date, "14:00", "15:30").await;

    let manager = signed_in_browser(&server, "manager@corridor.demo").await;
    let (status, html) = page(&manager, server.url("/manage?lang=en")).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-testid="nav-manage""#));
    assert!(
        html.contains(&format!(r#"<tr data-booking-id="{booking}">"#)),
        "{html}"
    );
    assert!(html.contains("14:00–15:30"));
    let pending_before: u32 = html
        .split(r#"data-testid="pending-count">"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|count| count.replace(',', "").parse().ok())
        .expect("the console shows how many bookings wait");
    assert!(pending_before >= 1);
    // The manager sees who booked on the calendar.
    let (_, html) = page(
        &manager,
        server.url(&format!("/instruments/{instrument}?lang=en&week={date}")),
    )
    .await;
    assert!(html.contains(&format!(
        r#"data-state="busy" data-date="{date}" data-time="14:00""#
    )));
    let company_name = display_name_of(&server, "company@corridor.demo").await;
    assert!(
        html.contains(&format!("14:00–15:30 · {company_name} (pending)")),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="manage-instrument-link""#));

    // A researcher cannot decide it, even with a valid form.
    let (status, _, _) = post_form(
        &researcher,
        server.url("/bookings"),
        server.url(&format!("/manage/bookings/{booking}/decision")),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(status, 403);

    let (status, location, html) = post_form(
        &manager,
        server.url("/manage"),
        server.url(&format!("/manage/bookings/{booking}/decision")),
        &[("decision", "approve"), ("note", "see you at the lab")],
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/manage?notice=approved")),
        "{html}"
    );
    let (_, html) = page(&manager, server.url("/manage?lang=en&notice=approved")).await;
    assert!(html.contains("The booking was approved."));
    assert!(
        !html.contains(&format!(r#"<tr data-booking-id="{booking}">"#)),
        "it left the queue"
    );

    // Approving it twice is refused with the reason, not an error.
    let (status, _, html) = post_form(
        &manager,
        server.url("/manage"),
        server.url(&format!("/manage/bookings/{booking}/decision")),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        html.contains("A booking that is confirmed cannot be approved."),
        "{html}"
    );

    let (_, html) = page(&company, server.url("/bookings?lang=en")).await;
    assert!(
        html.contains(&format!(
            r#"data-booking-id="{booking}" data-status="confirmed""#
        )),
        "{html}"
    );
    assert!(html.contains("see you at the lab"));
    server.finish().await;
}

#[tokio::test]
async fn managers_close_the_calendar_grant_qualifications_and_change_the_rules_from_its_tools() {
    let server = sqlite_server().await;
    let manager_token = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager_token).await;
    let manager = signed_in_browser(&server, "manager@corridor.demo").await;
    let tools = server.url(&format!("/manage/instruments/{instrument}?lang=en"));
    let (status, _) = page(&manager, tools.clone()).await;
    assert_eq!(status, 200);
    let researcher = signed_in_browser(&server, "researcher@corridor.demo").await;
    let (status, _) = page(&researcher, tools.clone()).await;
    assert_eq!(
        status, 403,
        "only the instrument's managers reach its tools"
    );

    // A whole-day maintenance closure shows on the instrument's calendar.
    let date = shanghai_date_in(9);
    let (status, location, html) = post_form(
        &manager,
        tools.clone(),
        server.url(&format!("/manage/instruments/{instrument}/closures")),
        &[
            ("kind", "maintenance"),
            ("start_date", &date),
            ("reason", "detector service"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert!(location.unwrap().contains("notice=closure_added"));
    let (_, html) = page(
        &client(),
        server.url(&format!("/instruments/{instrument}?lang=en&week={date}")),
    )
    .await;
    assert!(
        html.contains(&format!(
            r#"data-state="closed" data-date="{date}" data-time="08:00""#
        )),
        "{html}"
    );
    assert!(html.contains("detector service"));
    // A closure without a reason is refused with a message, keeping what was entered.
    let (status, _, html) = post_form(
        &manager,
        tools.clone(),
        server.url(&format!("/manage/instruments/{instrument}/closures")),
        &[("kind", "holiday"), ("start_date", &date), ("reason", " ")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("Give a reason of at most 500 characters."),
        "{html}"
    );
    assert!(html.contains(&format!(r#"name="start_date" value="{date}""#)));

    // Qualifications by e-mail address; an unknown address is a message.
    let (status, _, html) = post_form(
        &manager,
        tools.clone(),
        server.url(&format!("/manage/instruments/{instrument}/qualifications")),
        &[("user", "company@corridor.demo")],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let (_, html) = page(&manager, tools.clone()).await;
    assert!(
        html.contains(r#"data-testid="qualification-list""#)
            && html.contains(&display_name_of(&server, "company@corridor.demo").await),
        "{html}"
    );
    let (status, _, html) = post_form(
        &manager,
        tools.clone(),
        server.url(&format!("/manage/instruments/{instrument}/qualifications")),
        &[("user", "nobody@corridor.demo")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("No user has this e-mail address."));

    // Rules: a slot that does not divide the day is refused; a valid change is saved.
    let rules_url = server.url(&format!("/manage/instruments/{instrument}/rules"));
    let rules = |slot: &'static str| {
        [
            ("slot_minutes", slot),
            ("min_booking_minutes", "60"),
            ("max_booking_minutes", "240"),
            ("lead_time_minutes", "120"),
            ("cancellation_deadline_minutes", "1440"),
            ("weekly_quota_minutes", ""),
        ]
    };
    let (status, _, html) =
        post_form(&manager, tools.clone(), rules_url.clone(), &rules("7")).await;
    assert_eq!(status, 400);
    assert!(html.contains("must divide a day evenly"), "{html}");
    let (status, _, html) =
        post_form(&manager, tools.clone(), rules_url.clone(), &rules("ten")).await;
    assert_eq!(status, 400);
    assert!(html.contains("is not a whole number of minutes"), "{html}");
    let (status, _, _) = post_form(&manager, tools.clone(), rules_url, &rules("60")).await;
    assert_eq!(status, 303);
    let (_, html) = page(
        &client(),
        server.url(&format!("/instruments/{instrument}?lang=en")),
    )
    .await;
    assert!(
        html.contains("60-minute slots · 1 h to 4 h per booking · book at least 2 h ahead"),
        "{html}"
    );
    server.finish().await;
}

/// Issue 30, finding 7: on the booking form, a local time the clocks skip or show twice was
/// resolved silently (a 30-minute slot became 90 minutes and was charged so). Now a skipped
/// time is refused and a repeated one asks which is meant.
#[tokio::test]
async fn local_times_the_clocks_skip_or_repeat_are_not_guessed() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, institution) = managed_instrument(&server, &manager).await;
    // The instrument moves to Berlin, open around the clock, bookable a year ahead.
    let mut body = json_of(
        call(
            reqwest::Method::GET,
            &server,
            &format!("/api/v1/instruments/{instrument}"),
            None,
            None,
        )
        .await,
        200,
        "instrument",
    )
    .await;
    let input = serde_json::json!({
        "institution_id": institution,
        "site_id": body["place"]["site_id"].take(),
        "category": body["category"].take(),
        "name_en": "Berlin probe", "name_zh": "柏林探测",
        "manufacturer": body["manufacturer"].take(), "model": body["model"].take(),
        "year_of_manufacture": body["year_of_manufacture"].take(),
        "purchase_value_fen": 1,
        "access_policy": "open", "booking_mode": "instant", "training_required": false,
        "hourly_rates": {"own_institution_fen": 6_000, "other_academic_fen": 6_000, "industry_fen": 6_000},
        "opening_hours": "Mon-Sun 00:00-24:00",
        "time_zone": "Europe/Berlin",
    });
    json_of(
        call(
            reqwest::Method::PUT,
            &server,
            &format!("/api/v1/instruments/{instrument}"),
            Some(&manager),
            Some(input),
        )
        .await,
        200,
        "move to Berlin",
    )
    .await;
    let mut rules = json_of(
        call(
            reqwest::Method::GET,
            &server,
            &format!("/api/v1/instruments/{instrument}/calendar"),
            None,
            None,
        )
        .await,
        200,
        "calendar",
    )
    .await["rules"]
        .clone();
    rules["booking_horizon_days"] = serde_json::json!(3660);
    json_of(
        call(
            reqwest::Method::PUT,
            &server,
            &format!("/api/v1/instruments/{instrument}/calendar/rules"),
            Some(&manager),
            Some(rules),
        )
        .await,
        200,
        "rules",
    )
    .await;

    let browser = signed_in_browser(&server, "researcher@corridor.demo").await;
    let (_, html) = page(&browser, server.url(&format!("/instruments/{instrument}"))).await;
    let csrf = csrf_token_in(&html);
    // The clocks go forward in Berlin on the last Sunday of March and back on the last
    // Sunday of October; the next such days are found from today.
    let last_sunday = |year: i16, month: i8| {
        let mut day = jiff::civil::date(year, month, 1).last_of_month();
        while day.weekday() != jiff::civil::Weekday::Sunday {
            day = day.yesterday().unwrap();
        }
        day
    };
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let next = |month: i8| {
        let this_year = last_sunday(today.year(), month);
        if this_year > today + jiff::Span::new().days(2) {
            this_year
        } else {
            last_sunday(today.year() + 1, month)
        }
    };
    let post = |date: jiff::civil::Date, repeated: Option<&'static str>| {
        let mut form = vec![
            ("csrf_token", csrf.clone()),
            ("intent", "quote".to_owned()),
            ("date", date.to_string()),
            ("start", "02:00".to_owned()),
            ("end", "02:30".to_owned()),
        ];
        if let Some(choice) = repeated {
            form.push(("repeated_hour", choice.to_owned()));
        }
        let request = browser
            .post(server.url(&format!("/instruments/{instrument}/book")))
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, html) = post(next(3), None).await;
    assert_eq!(status, 400, "a time the clocks skip");
    assert!(html.contains("does not happen"), "{html}");
    let (status, html) = post(next(10), None).await;
    assert_eq!(status, 400, "a time the clocks show twice");
    assert!(
        html.contains(r#"data-testid="booking-repeated-hour""#),
        "the form asks which"
    );
    // Either answer quotes thirty minutes, never ninety.
    for choice in ["earlier", "later"] {
        let (status, html) = post(next(10), Some(choice)).await;
        assert_eq!(status, 200, "{choice}");
        assert!(
            html.contains("¥30.00"),
            "half an hour at 60 yuan an hour: {html}"
        );
        assert!(!html.contains("¥90.00"));
    }
}
