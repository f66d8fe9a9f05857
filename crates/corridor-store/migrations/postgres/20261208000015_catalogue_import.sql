-- The national instrument field set, which institutions' catalogue files carry and the
-- public catalogue export writes (issue 24).
--
-- asset_number: the institution's own key (资产编号); imports upsert by (institution,
--   asset_number). NULL for instruments created otherwise; the export then writes a key
--   derived from the id, which a re-import matches.
-- country_of_origin (产地国别), purchase_date (购置日期, ISO 8601 'YYYY-MM-DD' text on both
--   engines), location (安放地址), specifications (主要技术指标), services (服务内容),
--   rates_text (收费标准 as the institution wrote it), contact_* (联系人, 电话, 邮箱):
--   text as imported, empty when not given.
-- operating_status (运行状态): 'normal', 'under_repair' or 'out_of_service'.
-- withdrawn_at: set when a complete file no longer lists the instrument. A withdrawn
--   instrument is hidden from search and cannot be booked; its row, bookings and history stay.
ALTER TABLE instruments ADD COLUMN asset_number TEXT;
ALTER TABLE instruments ADD COLUMN country_of_origin TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN purchase_date TEXT;
ALTER TABLE instruments ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN specifications TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN services TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN rates_text TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN operating_status TEXT NOT NULL DEFAULT 'normal'
    CHECK (operating_status IN ('normal', 'under_repair', 'out_of_service'));
ALTER TABLE instruments ADD COLUMN withdrawn_at TIMESTAMPTZ;
CREATE UNIQUE INDEX instruments_by_asset_number ON instruments (institution_id, asset_number)
    WHERE asset_number IS NOT NULL;
