package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// ErrNotCached means the cache has no copy of what was asked for.
var ErrNotCached = errors.New("not in the offline cache")

// queryJSON reads rows of one JSON column into a slice.
func queryJSON[T any](ctx context.Context, db *sql.DB, what, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cache: reading %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("cache: reading %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("cache: a stored %s is unreadable: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// PutReleases replaces the cached releases of console ("" replaces all) with list.
func (c *Cache) PutReleases(ctx context.Context, console fleet.Console, list []rollout.Release) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if console == "" {
		_, err = tx.ExecContext(ctx, "DELETE FROM releases")
	} else {
		_, err = tx.ExecContext(ctx, "DELETE FROM releases WHERE console = ?", string(console))
	}
	if err != nil {
		return err
	}
	for _, r := range list {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("cache: release %s: %w", r.ID, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO releases(id, console, data) VALUES(?, ?, ?)", r.ID, string(r.Console), string(b)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Releases lists the cached releases of console ("" for all), newest first.
func (c *Cache) Releases(ctx context.Context, console fleet.Console) ([]rollout.Release, error) {
	q, args := "SELECT data FROM releases ORDER BY id", []any{}
	if console != "" {
		q, args = "SELECT data FROM releases WHERE console = ? ORDER BY id", []any{string(console)}
	}
	list, err := queryJSON[rollout.Release](ctx, c.r, "release", q, args...)
	sortNewest(list, func(r rollout.Release) time.Time { return r.CreatedAt })
	return list, err
}

// PutImage stores a downloaded firmware image for offline flashing.
func (c *Cache) PutImage(ctx context.Context, releaseID, sha256 string, image []byte) error {
	_, err := c.w.ExecContext(ctx, "INSERT OR REPLACE INTO release_images(release_id, sha256, image, fetched_at) VALUES(?, ?, ?, ?)",
		releaseID, sha256, image, time.Now().UnixNano())
	return err
}

// Image returns a cached firmware image and the SHA-256 it was stored with.
func (c *Cache) Image(ctx context.Context, releaseID string) ([]byte, string, error) {
	var img []byte
	var sum string
	err := c.r.QueryRowContext(ctx, "SELECT image, sha256 FROM release_images WHERE release_id = ?", releaseID).Scan(&img, &sum)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotCached
	}
	return img, sum, err
}

// PutRollouts replaces the cached rollouts with list.
func (c *Cache) PutRollouts(ctx context.Context, list []rollout.Rollout) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM rollouts"); err != nil {
		return err
	}
	for _, r := range list {
		if err := putRollout(ctx, tx, r); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// PutRollout stores one rollout.
func (c *Cache) PutRollout(ctx context.Context, r rollout.Rollout) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := putRollout(ctx, tx, r); err != nil {
		return err
	}
	return tx.Commit()
}

func putRollout(ctx context.Context, tx *sql.Tx, r rollout.Rollout) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("cache: rollout %s: %w", r.ID, err)
	}
	_, err = tx.ExecContext(ctx, "INSERT OR REPLACE INTO rollouts(id, created_at, data) VALUES(?, ?, ?)", r.ID, nanos(r.CreatedAt), string(b))
	return err
}

// Rollouts lists the cached rollouts, newest first.
func (c *Cache) Rollouts(ctx context.Context) ([]rollout.Rollout, error) {
	return queryJSON[rollout.Rollout](ctx, c.r, "rollout", "SELECT data FROM rollouts ORDER BY created_at DESC, id")
}

// Rollout returns one cached rollout.
func (c *Cache) Rollout(ctx context.Context, id string) (rollout.Rollout, error) {
	list, err := queryJSON[rollout.Rollout](ctx, c.r, "rollout", "SELECT data FROM rollouts WHERE id = ?", id)
	if err != nil {
		return rollout.Rollout{}, err
	}
	if len(list) == 0 {
		return rollout.Rollout{}, ErrNotCached
	}
	return list[0], nil
}

// PutTokens replaces the cached token metadata. token.Info has no secret field, so no secret can
// reach the file this way.
func (c *Cache) PutTokens(ctx context.Context, list []token.Info) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM tokens"); err != nil {
		return err
	}
	for _, t := range list {
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("cache: token %s: %w", t.ID, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO tokens(id, created_at, data) VALUES(?, ?, ?)", t.ID, nanos(t.CreatedAt), string(b)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Tokens lists the cached token metadata, newest first.
func (c *Cache) Tokens(ctx context.Context) ([]token.Info, error) {
	return queryJSON[token.Info](ctx, c.r, "token", "SELECT data FROM tokens ORDER BY created_at DESC, id")
}

// RecordCommand adds or updates a command in the command log.
func (c *Cache) RecordCommand(ctx context.Context, cmd fleet.Command) error {
	return recordCommand(ctx, c.w, cmd)
}

// execer is the writer connection or a transaction on it.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func recordCommand(ctx context.Context, w execer, cmd fleet.Command) error {
	b, err := json.Marshal(cmd)
	if err != nil {
		return fmt.Errorf("cache: command %s: %w", cmd.ID, err)
	}
	_, err = w.ExecContext(ctx, `INSERT INTO commands(id, device_id, created_at, data) VALUES(?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET data = excluded.data`, cmd.ID, cmd.DeviceID, nanos(cmd.CreatedAt), string(b))
	return err
}

// CommandHistory is the logged commands of a device, newest first (at most 500).
// UnfinishedCommands is the logged commands that had not ended when last read, oldest first.
func (c *Cache) UnfinishedCommands(ctx context.Context) ([]fleet.Command, error) {
	all, err := queryJSON[fleet.Command](ctx, c.r, "command", "SELECT data FROM commands ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(cmd fleet.Command) bool { return cmd.Status.Final() }), nil
}

func (c *Cache) CommandHistory(ctx context.Context, deviceID string) ([]fleet.Command, error) {
	return queryJSON[fleet.Command](ctx, c.r, "command", "SELECT data FROM commands WHERE device_id = ? ORDER BY created_at DESC, id LIMIT 500", deviceID)
}

func sortNewest[T any](list []T, at func(T) time.Time) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && at(list[j]).After(at(list[j-1])); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// Command is one logged command; ErrNotCached when the log does not hold it.
func (c *Cache) Command(ctx context.Context, id string) (fleet.Command, error) {
	list, err := queryJSON[fleet.Command](ctx, c.r, "command", "SELECT data FROM commands WHERE id = ?", id)
	if err != nil {
		return fleet.Command{}, err
	}
	if len(list) == 0 {
		return fleet.Command{}, ErrNotCached
	}
	return list[0], nil
}
