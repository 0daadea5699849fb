package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is wrapped by errors for models, versions, aliases and runs that do not exist.
var ErrNotFound = errors.New("registry: not found")

// ErrExists is wrapped by CreateRun's error when the run already exists.
var ErrExists = errors.New("registry: already exists")

// ErrNoPrevious is wrapped by Rollback's error when the alias has no earlier version to go
// back to.
var ErrNoPrevious = errors.New("registry: no previous version to roll back to")

// FileName is the registry database's name in a riskflow home folder.
const FileName = "registry.db"

// Registry is a handle on one registry database. It is safe for concurrent use.
type Registry struct {
	db      *sql.DB
	dialect dialect
	now     func() time.Time
}

type dialect int

const (
	dialectSQLite   dialect = iota // ? placeholders
	dialectPostgres                // $1, $2, ... placeholders; rebind is ready, the backend is not
)

// Open opens (creating if needed) the registry at dsn, "sqlite:///abs/path/registry.db" or a
// plain file path, and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*Registry, error) {
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	if !ok && strings.Contains(dsn, "://") {
		return nil, fmt.Errorf("registry: unsupported database %q: want sqlite:///path or a file path", dsn)
	}
	if path == "" {
		return nil, errors.New("registry: empty database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("registry: database path %q contains ? or #", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	// _txlock=immediate takes the write lock at BEGIN, so a transaction never fails to
	// upgrade a read lock halfway; busy_timeout makes writers queue instead of failing;
	// synchronous(FULL) makes each committed version or alias change durable at once.
	conn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", conn)
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	r := &Registry{db: db, dialect: dialectSQLite, now: time.Now}
	if err := r.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: %s: %w", path, err)
	}
	return r, nil
}

// Close closes the database.
func (r *Registry) Close() error {
	if err := r.db.Close(); err != nil {
		return fmt.Errorf("registry: close: %w", err)
	}
	return nil
}

// rebind turns the ? placeholders of q into the dialect's.
func (r *Registry) rebind(q string) string {
	if r.dialect != dialectPostgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// migrations are applied in order; each runs once, recorded in schema_migrations.
var migrations = []string{
	`CREATE TABLE models (
		name TEXT PRIMARY KEY,
		created_at TEXT NOT NULL
	);
	CREATE TABLE runs (
		id TEXT PRIMARY KEY,
		pipeline TEXT NOT NULL,
		matrix TEXT NOT NULL,
		status TEXT NOT NULL,
		started_at TEXT NOT NULL,
		finished_at TEXT NOT NULL
	);
	CREATE TABLE stages (
		run_id TEXT NOT NULL REFERENCES runs(id),
		matrix TEXT NOT NULL,
		stage TEXT NOT NULL,
		status TEXT NOT NULL,
		cache_key TEXT NOT NULL,
		cached INTEGER NOT NULL,
		started_at TEXT NOT NULL,
		finished_at TEXT NOT NULL,
		outputs TEXT NOT NULL,
		metrics TEXT NOT NULL,
		error TEXT NOT NULL,
		PRIMARY KEY (run_id, matrix, stage)
	);
	CREATE TABLE versions (
		model TEXT NOT NULL REFERENCES models(name),
		version INTEGER NOT NULL,
		bundle_digest TEXT NOT NULL,
		run_id TEXT REFERENCES runs(id),
		metrics TEXT NOT NULL,
		params TEXT NOT NULL,
		data_digests TEXT NOT NULL,
		feature_spec TEXT NOT NULL,
		riskflow_version TEXT NOT NULL,
		git_commit TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_at TEXT NOT NULL,
		PRIMARY KEY (model, version)
	);
	CREATE TABLE aliases (
		model TEXT NOT NULL,
		alias TEXT NOT NULL,
		version INTEGER NOT NULL,
		mode TEXT NOT NULL,
		updated_by TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		reason TEXT NOT NULL,
		PRIMARY KEY (model, alias),
		FOREIGN KEY (model, version) REFERENCES versions(model, version)
	);
	CREATE TABLE alias_events (
		model TEXT NOT NULL REFERENCES models(name),
		seq INTEGER NOT NULL,
		alias TEXT NOT NULL,
		action TEXT NOT NULL,
		from_version INTEGER NOT NULL,
		to_version INTEGER NOT NULL,
		mode TEXT NOT NULL,
		actor TEXT NOT NULL,
		reason TEXT NOT NULL,
		at TEXT NOT NULL,
		PRIMARY KEY (model, seq)
	);
	CREATE INDEX stages_run ON stages (run_id);
	CREATE INDEX runs_started ON runs (started_at)`,
}

func (r *Registry) migrate(ctx context.Context) error {
	return r.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("schema_migrations: %w", err)
		}
		var cur int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		if cur > len(migrations) {
			return fmt.Errorf("database schema version %d is newer than this riskflow's %d", cur, len(migrations))
		}
		for i := cur; i < len(migrations); i++ {
			for stmt := range strings.SplitSeq(migrations[i], ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
			if _, err := tx.ExecContext(ctx, r.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
				i+1, fmtTime(r.now())); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		return nil
	})
}

// tx runs fn in a transaction, retrying the whole transaction while the database reports
// it is busy or locked (another process holds the write lock past the busy timeout).
func (r *Registry) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	backoff := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := r.tx1(ctx, fn)
		if err == nil || !retryable(err) || attempt >= 50 {
			return err
		}
		d := backoff + rand.N(backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

func (r *Registry) tx1(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func retryable(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// timeLayout is fixed-width so that stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("registry: stored time %q: %w", s, err)
	}
	return t, nil
}

func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// checkName validates model and alias names: letters, digits, '_', '-' and '.', starting
// with a letter or digit, at most 128 bytes (the names serve accepts in URLs).
func checkName(kind, name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("registry: %s name %q: want 1 to 128 bytes", kind, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '_' || c == '-' || c == '.') && i > 0:
		default:
			return fmt.Errorf("registry: %s name %q: use letters, digits, _ - and ., starting with a letter or digit", kind, name)
		}
	}
	return nil
}

// CheckMode validates a challenger mode: "" (none), "shadow" or "canary:P" with P a
// percentage in [0, 100].
func CheckMode(mode string) error {
	switch {
	case mode == "" || mode == "shadow":
		return nil
	case strings.HasPrefix(mode, "canary:"):
		p, err := strconv.ParseFloat(strings.TrimPrefix(mode, "canary:"), 64)
		if err == nil && !math.IsNaN(p) && p >= 0 && p <= 100 {
			return nil
		}
	}
	return fmt.Errorf("registry: mode %q: want shadow or canary:P with P in [0, 100]", mode)
}
