//! `transfers.txt`: every `transfer_type` of the reference.
//!
//! Between stops: 0 (recommended) and 2 (minimum time) give a walk of `min_transfer_time`
//! (required for 2; for 0 without it, the station's own change time, or an estimate from the
//! distance between two stations); 1 (timed: the departing train waits) gives the shortest
//! change the router knows, one minute; 3 (not possible) removes the walk between two stations,
//! and at one station forbids changing trains there. Between trips: 4 lets passengers stay in
//! their seat from one trip into the next, 5 says they may not (it undoes a `block_id` link).
//! Rules of types 0–3 that name routes or trips apply to single pairs of trains, which a
//! station-level router cannot hold; they are counted in a warning and left out.

use super::trips::ReadTrips;
use super::{table, GtfsFiles, ImportWarning};
use crate::import::csv::CsvTable;
use crate::import::ImportError;
use crate::model::{
    estimated_city_transfer_minutes, StationId, TimetableBuilder, TripId,
    DEFAULT_MINIMUM_CHANGE_MINUTES,
};
use std::collections::HashMap;

pub(super) fn read_transfers(
    files: &GtfsFiles,
    builder: &mut TimetableBuilder,
    station_of_stop: &HashMap<String, StationId>,
    trips: &ReadTrips,
    warnings: &mut Vec<ImportWarning>,
) -> Result<(), ImportError> {
    let Some(transfers) = table(files, "transfers.txt")? else {
        return Ok(());
    };
    let column = |name: &str| transfers.column(name);
    let (from_stop, to_stop) = (column("from_stop_id"), column("to_stop_id"));
    let (from_route, to_route) = (column("from_route_id"), column("to_route_id"));
    let (from_trip, to_trip) = (column("from_trip_id"), column("to_trip_id"));
    let type_column = transfers.required_column("transfer_type")?;
    let time_column = column("min_transfer_time");
    let mut per_train_rules = 0usize;
    let mut frequency_trip_rules = 0usize;
    for (line, record) in &transfers.records {
        let line = *line;
        let field = |column: Option<usize>| CsvTable::field(record, column);
        let transfer_type = match field(Some(type_column)) {
            "" => 0,
            text => text
                .parse::<u8>()
                .ok()
                .filter(|kind| *kind <= 5)
                .ok_or_else(|| {
                    transfers.error(line, "transfer_type", format!("`{text}` is not 0 to 5"))
                })?,
        };
        if transfer_type >= 4 {
            let trip = |column: Option<usize>, name: &str| -> Result<Option<TripId>, ImportError> {
                let trip_id = field(column);
                if trip_id.is_empty() {
                    return Err(transfers.error(
                        line,
                        name,
                        "an in-seat rule (type 4 or 5) needs both trips",
                    ));
                }
                if trips.left_out.contains(trip_id) || trips.run_by_frequencies.contains(trip_id) {
                    return Ok(None);
                }
                Ok(Some(*trips.trip_of.get(trip_id).ok_or_else(|| {
                    transfers.error(line, name, format!("unknown trip `{trip_id}`"))
                })?))
            };
            let (Some(from), Some(to)) = (
                trip(from_trip, "from_trip_id")?,
                trip(to_trip, "to_trip_id")?,
            ) else {
                if [from_trip, to_trip]
                    .iter()
                    .any(|column| trips.run_by_frequencies.contains(field(*column)))
                {
                    frequency_trip_rules += 1;
                }
                continue;
            };
            if transfer_type == 4 {
                builder
                    .continue_in_seat(from, to)
                    .map_err(|error| transfers.error(line, "to_trip_id", error.to_string()))?;
            } else {
                builder.forbid_in_seat(from, to);
            }
            continue;
        }
        let names_trains = [from_route, to_route, from_trip, to_trip]
            .iter()
            .any(|column| !field(*column).is_empty());
        if names_trains {
            per_train_rules += 1;
            continue;
        }
        let stop = |column: Option<usize>, name: &str| {
            let stop_id = field(column);
            if stop_id.is_empty() {
                return Err(transfers.error(line, name, "required for a transfer between stops"));
            }
            station_of_stop
                .get(stop_id)
                .copied()
                .ok_or_else(|| transfers.error(line, name, format!("unknown stop `{stop_id}`")))
        };
        let (from, to) = (
            stop(from_stop, "from_stop_id")?,
            stop(to_stop, "to_stop_id")?,
        );
        let stated_minutes = match field(time_column) {
            "" => None,
            text => Some(
                text.parse::<u32>()
                    .map(|seconds| seconds.div_ceil(60).min(u32::from(u16::MAX - 1)) as u16)
                    .map_err(|_| {
                        transfers.error(
                            line,
                            "min_transfer_time",
                            format!("`{text}` is not seconds"),
                        )
                    })?,
            ),
        };
        let minutes = match transfer_type {
            3 if from == to => u16::MAX,
            3 => {
                builder.forbid_transfer(from, to);
                continue;
            }
            1 => 1,
            2 => stated_minutes.ok_or_else(|| {
                transfers.error(
                    line,
                    "min_transfer_time",
                    "required for a transfer of type 2",
                )
            })?,
            _ => match stated_minutes {
                Some(minutes) => minutes,
                None if from == to => DEFAULT_MINIMUM_CHANGE_MINUTES,
                None => {
                    let (from_station, to_station) = (
                        builder.station_mut(from).clone(),
                        builder.station_mut(to).clone(),
                    );
                    estimated_city_transfer_minutes(&from_station, &to_station)
                }
            },
        };
        builder
            .add_transfer(from, to, minutes)
            .map_err(|error| transfers.error(line, "from_stop_id", error.to_string()))?;
    }
    if per_train_rules > 0 {
        warnings.push(ImportWarning(format!(
            "transfers.txt: {per_train_rules} rules of types 0–3 between particular routes or trips were left out: the router knows changes per station, not per pair of trains"
        )));
    }
    if frequency_trip_rules > 0 {
        warnings.push(ImportWarning(format!(
            "transfers.txt: {frequency_trip_rules} in-seat rules name trips run by frequencies.txt and were left out"
        )));
    }
    Ok(())
}
