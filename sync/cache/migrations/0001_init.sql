-- FleetDesk offline cache, schema 1. Secrets never live here: token rows are metadata only and
-- there is no column for passwords, access or refresh tokens.
CREATE TABLE devices (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	customer_email TEXT NOT NULL,
	model          TEXT NOT NULL,
	console        TEXT NOT NULL,
	transport      TEXT NOT NULL,
	firmware       TEXT NOT NULL,
	online         INTEGER NOT NULL,
	last_seen      INTEGER NOT NULL, -- unix nanoseconds, 0 when never
	run_state      TEXT NOT NULL,
	alarms         TEXT NOT NULL,    -- JSON array, '' when none
	dealer         TEXT NOT NULL,
	updated_at     INTEGER NOT NULL, -- unix nanoseconds
	-- The last known position, NULL when the unit never had a fix. Kept in the row rather than in
	-- a table of its own: opening 100,000 devices must not pay a join per unit.
	lat            REAL,
	lon            REAL,
	fix_time       INTEGER
) WITHOUT ROWID;

CREATE TABLE releases (
	id       TEXT PRIMARY KEY,
	console  TEXT NOT NULL,
	data     TEXT NOT NULL -- the contract's JSON
);

-- Downloaded firmware images, kept for on-site flashing with no network.
CREATE TABLE release_images (
	release_id TEXT PRIMARY KEY,
	sha256     TEXT NOT NULL,
	image      BLOB NOT NULL,
	fetched_at INTEGER NOT NULL
);

CREATE TABLE rollouts (
	id         TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL,
	data       TEXT NOT NULL
);

CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL,
	data       TEXT NOT NULL -- token.Info: metadata only, never the secret
);

CREATE TABLE commands (
	id         TEXT PRIMARY KEY,
	device_id  TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	data       TEXT NOT NULL
);
CREATE INDEX commands_by_device ON commands(device_id, created_at DESC);

CREATE TABLE service_log (
	id          TEXT PRIMARY KEY,
	at          INTEGER NOT NULL,
	pending     INTEGER NOT NULL DEFAULT 1, -- 1 until the backend has it
	data        TEXT NOT NULL
);

-- Sync cursor, last good sync time, the account the cache belongs to.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
