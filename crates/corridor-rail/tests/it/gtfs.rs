//! The GTFS importer on the Guangzhou–Shenzhen–Hong Kong feed in `../shared/data/gtfs-hk-xrl`,
//! read completely, from the folder and from a zip, with calendar_dates exceptions.

use crate::real_data::shared_data;
use corridor_rail::import::gtfs::import_gtfs;
use corridor_rail::import::ImportError;
use corridor_rail::*;
use std::io::Write;
use std::path::Path;

fn count_rows(path: &Path, predicate: impl Fn(&str) -> bool) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty() && predicate(line))
        .count()
}

#[test]
fn gtfs_hk_xrl_is_read_completely() {
    let folder = shared_data("gtfs-hk-xrl");
    let timetable = import_gtfs(&folder).unwrap();
    // Stations are the stops of location_type 1; platforms fold into them, entrances are not stations.
    let stations_in_feed = count_rows(&folder.join("stops.txt"), |line| {
        line.split(',').nth(5) == Some("1")
    });
    assert_eq!(timetable.stations().len(), stations_in_feed);
    assert_eq!(
        timetable.trips().len(),
        count_rows(&folder.join("trips.txt"), |_| true)
    );
    assert_eq!(
        timetable.stop_time_count(),
        count_rows(&folder.join("stop_times.txt"), |_| true)
    );
    assert_eq!(timetable.services().len(), 2);

    let west_kowloon = timetable.station_by_name("香港西九龍").unwrap();
    let station = timetable.station(west_kowloon);
    assert_eq!(
        station.english_name.as_deref(),
        Some("Hong Kong West Kowloon"),
        "{station:?}"
    );
    let coordinates = station.coordinates.unwrap();
    assert!(
        (coordinates.latitude - 22.3036814).abs() < 1e-9
            && (coordinates.longitude - 114.1649267).abs() < 1e-9
    );
    assert!(
        timetable
            .stations()
            .iter()
            .all(|station| station.english_name.is_some()),
        "every station has its English name"
    );
    assert_eq!(
        timetable.resolve_place("hong kong west kowloon"),
        vec![west_kowloon]
    );

    // The "saturday" service runs on the Saturday of the feed week only.
    let saturday = ServiceDate::from_ymd(2026, 1, 31).unwrap();
    let monday = ServiceDate::from_ymd(2026, 1, 26).unwrap();
    let saturday_trips = (0..timetable.trips().len() as u32)
        .map(TripId)
        .filter(|&trip| timetable.trip_runs_on(trip, saturday))
        .count();
    let monday_trips = (0..timetable.trips().len() as u32)
        .map(TripId)
        .filter(|&trip| timetable.trip_runs_on(trip, monday))
        .count();
    assert_eq!((monday_trips, saturday_trips), (78, 82));

    // A trip from West Kowloon reaches Futian or Shenzhen North on the Monday.
    let index = RoutingIndex::build(&timetable, ServiceDay::Date(monday));
    let mut workspace = ScanWorkspace::new();
    let answer = earliest_arrival(
        &index,
        &mut workspace,
        &EarliestArrivalQuery {
            origins: &[west_kowloon],
            departure: 7 * 60,
            horizon_minutes: 600,
        },
    );
    let futian = timetable.station_by_name("福田").unwrap();
    let travel = answer.travel_minutes(futian).unwrap();
    assert!(
        (14..=60).contains(&travel),
        "West Kowloon → Futian in {travel} min"
    );
}

fn copy_feed(target: &Path) {
    for entry in std::fs::read_dir(shared_data("gtfs-hk-xrl")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
    }
}

#[test]
fn gtfs_calendar_dates_exceptions_apply_and_zip_reads_the_same() {
    let folder = tempfile::tempdir().unwrap();
    copy_feed(folder.path());
    // Remove the normal service on Tuesday 27 January, add the Saturday service on that day.
    let mut dates = std::fs::OpenOptions::new()
        .append(true)
        .open(folder.path().join("calendar_dates.txt"))
        .unwrap();
    writeln!(dates, "normal,20260127,2").unwrap();
    writeln!(dates, "saturday,20260127,1").unwrap();
    drop(dates);
    let timetable = import_gtfs(folder.path()).unwrap();
    let tuesday = ServiceDate::from_ymd(2026, 1, 27).unwrap();
    let wednesday = tuesday.add_days(1);
    let running = |date| {
        (0..timetable.trips().len() as u32)
            .map(TripId)
            .filter(|&trip| timetable.trip_runs_on(trip, date))
            .count()
    };
    assert_eq!((running(tuesday), running(wednesday)), (4, 78));

    // The same feed zipped (deflated, inside a top folder) imports to the same timetable.
    let zip_path = folder.path().join("feed.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in std::fs::read_dir(folder.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "txt") {
            writer
                .start_file(
                    format!("feed/{}", path.file_name().unwrap().to_string_lossy()),
                    options,
                )
                .unwrap();
            writer.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    writer.finish().unwrap();
    assert_eq!(import_gtfs(&zip_path).unwrap(), timetable);
}

#[test]
fn gtfs_errors_name_the_file_line_and_field() {
    let folder = tempfile::tempdir().unwrap();
    copy_feed(folder.path());
    let stop_times = folder.path().join("stop_times.txt");
    let text = std::fs::read_to_string(&stop_times)
        .unwrap()
        .replacen("07:19:00", "7:x9:00", 1);
    std::fs::write(&stop_times, text).unwrap();
    let error = import_gtfs(folder.path()).unwrap_err();
    match &error {
        ImportError::Field {
            path,
            line,
            field,
            message,
        } => {
            assert!(path.ends_with("stop_times.txt"));
            assert_eq!((*line, field.as_str()), (3, "arrival_time"));
            assert!(message.contains("7:x9:00"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("stop_times.txt:3: field `arrival_time`"),
        "{error}"
    );

    std::fs::remove_file(folder.path().join("trips.txt")).unwrap();
    assert!(
        matches!(import_gtfs(folder.path()), Err(ImportError::Missing { name, .. }) if name == "trips.txt")
    );
}
