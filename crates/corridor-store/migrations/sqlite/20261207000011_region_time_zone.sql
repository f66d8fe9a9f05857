-- The region's own time zone (IANA name): the local calendar of its offices, programmes
-- and reports. Regions stored before this migration are the Yangtze River Delta's.
ALTER TABLE region ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai';
