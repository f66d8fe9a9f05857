"""The peer of `corridor-bench reach`: pyraptor (PyPI) answering the same one-to-all
earliest-arrival queries on the same national city-level timetable.

pyraptor reads GTFS only, so this script first writes the RailwayVIS trains as a GTFS feed
(one platform per city, every train on one service date), builds pyraptor's timetable from it,
then times `RaptorAlgorithm.run` from each origin city and reads the earliest arrival at every
city. Prints one JSON object on stdout.

Usage: bench-reach-peer.py JSON_SCHEDULERS DEPARTURE_MINUTE ROUNDS ORIGIN[,ORIGIN...]
"""
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from importlib.metadata import version

from loguru import logger

logger.remove()  # pyraptor logs every round at INFO; timing must not include that.

from pyraptor.gtfs.timetable import gtfs_to_pyraptor_timetable, read_gtfs_timetable  # noqa: E402
from pyraptor.model.raptor import RaptorAlgorithm  # noqa: E402

SERVICE_DATE = "20210104"


def minutes(text):
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def write_gtfs(trains, folder):
    cities = sorted({call["city"] for train in trains.values() for call in train["route"]})
    city_index = {city: index for index, city in enumerate(cities)}

    def table(name, header, rows):
        with open(os.path.join(folder, name), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    table("agency.txt", ["agency_id", "agency_name", "agency_url", "agency_timezone"], [["A", "corridor", "https://example.invalid", "Asia/Shanghai"]])
    table("routes.txt", ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"], [["R", "A", "R", "rail", 2]])
    table("calendar_dates.txt", ["service_id", "date", "exception_type"], [["S", SERVICE_DATE, 1]])
    stops = []
    for city, index in city_index.items():
        stops.append([f"C{index}", city, f"C{index}", "", "", 0, 0])
        stops.append([f"P{index}", city, f"P{index}", f"C{index}", "1", 0, 0])
    table("stops.txt", ["stop_id", "stop_name", "stop_code", "parent_station", "platform_code", "stop_lat", "stop_lon"], stops)
    trip_rows, stop_time_rows = [], []
    for number, (name, train) in enumerate(sorted(trains.items()), start=1):
        trip_rows.append(["R", "S", name, number, name])
        for sequence, call in enumerate(train["route"]):
            arrival = call["arrival"] if call["arrival"] != "-" else call["departure"]
            departure = call["departure"] if call["departure"] != "-" else call["arrival"]
            stop_time_rows.append([name, sequence, f"P{city_index[call['city']]}", f"{arrival}:00", f"{departure}:00"])
    table("trips.txt", ["route_id", "service_id", "trip_id", "trip_short_name", "trip_long_name"], trip_rows)
    table("stop_times.txt", ["trip_id", "stop_sequence", "stop_id", "arrival_time", "departure_time"], stop_time_rows)


def main():
    path, departure, rounds, origins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
    with open(path, encoding="utf-8") as handle:
        trains = json.load(handle)
    with tempfile.TemporaryDirectory() as folder:
        write_gtfs(trains, folder)
        started = time.perf_counter()
        timetable = gtfs_to_pyraptor_timetable(read_gtfs_timetable(folder, SERVICE_DATE, ["corridor"]))
        build_seconds = time.perf_counter() - started
    samples, answers = [], {}
    for origin in origins:
        station = timetable.stations.get(origin)
        started = time.perf_counter()
        bags = RaptorAlgorithm(timetable).run(station.stops, departure * 60, rounds)
        # pyraptor stops early when no stop is marked but leaves the later rounds' bags empty,
        # so its own `bags[rounds]` loses every answer then: take the last round it computed.
        best = next(bags[k] for k in range(rounds, -1, -1) if bags[k][station.stops[0]].earliest_arrival_time < 2147483647)
        arrivals = {}
        for other in timetable.stations:
            times = [best[stop].earliest_arrival_time for stop in other.stops]
            earliest = min(times)
            if earliest < 2147483647:
                arrivals[other.name] = earliest // 60
        samples.append(time.perf_counter() - started)
        answers[origin] = arrivals
    print(json.dumps({
        "name": f"pyraptor {version('pyraptor')} (PyPI), {rounds} rounds",
        "one_to_all_us": statistics.median(samples) * 1e6,
        "queries": len(samples),
        "build_seconds": build_seconds,
        "answers": answers,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
