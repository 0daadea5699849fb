package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// NewVersion describes a version to register.
type NewVersion struct {
	Model        string
	BundleDigest string // the bundle's SHA-256 in the artifact store
	// RunID is the pipeline run that produced the version ("" for none); it must exist.
	RunID           string
	Metrics         map[string]float64
	Params          json.RawMessage // training parameters, a JSON value
	DataDigests     map[string]string
	FeatureSpec     string // the feature spec's digest or name
	RiskflowVersion string
	GitCommit       string
	CreatedBy       string
}

// Version is one immutable registered version of a model.
type Version struct {
	Model           string             `json:"model"`
	Number          int                `json:"version"`
	BundleDigest    string             `json:"bundle_digest"`
	RunID           string             `json:"run_id,omitempty"`
	Metrics         map[string]float64 `json:"metrics"`
	Params          json.RawMessage    `json:"params,omitempty"`
	DataDigests     map[string]string  `json:"data_digests"`
	FeatureSpec     string             `json:"feature_spec,omitempty"`
	RiskflowVersion string             `json:"riskflow_version,omitempty"`
	GitCommit       string             `json:"git_commit,omitempty"`
	CreatedBy       string             `json:"created_by,omitempty"`
	CreatedAt       time.Time          `json:"created_at"`
}

// Model is a registered model with its aliases.
type Model struct {
	Name      string      `json:"name"`
	CreatedAt time.Time   `json:"created_at"`
	Latest    int         `json:"latest_version"`
	Aliases   []AliasInfo `json:"aliases"` // sorted by name
}

// AliasInfo is an alias's current state.
type AliasInfo struct {
	Alias     string    `json:"alias"`
	Version   int       `json:"version"`
	Mode      string    `json:"mode,omitempty"` // "", "shadow" or "canary:P"
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
	Reason    string    `json:"reason,omitempty"`
}

// AliasChange moves an alias.
type AliasChange struct {
	Model   string
	Alias   string
	Version int
	// Mode is how a challenger takes traffic: "" (none), "shadow" or "canary:P".
	Mode   string
	Actor  string
	Reason string
}

// AliasEvent is one audit record of an alias change.
type AliasEvent struct {
	Model  string `json:"model"`
	Seq    int    `json:"seq"` // 1, 2, ... per model, in order of the changes
	Alias  string `json:"alias"`
	Action string `json:"action"` // "set" or "rollback"
	// From is the version the alias pointed to before (0: it did not exist).
	From   int       `json:"from_version"`
	To     int       `json:"to_version"`
	Mode   string    `json:"mode,omitempty"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// Alias event actions.
const (
	ActionSet      = "set"
	ActionRollback = "rollback"
)

// RegisterVersion records a new version of nv.Model, creating the model on its first
// version, and returns it with its number: one more than the model's latest, assigned in
// the same transaction as the insert so concurrent registrations never share a number.
func (r *Registry) RegisterVersion(ctx context.Context, nv NewVersion) (Version, error) {
	if err := checkName("model", nv.Model); err != nil {
		return Version{}, err
	}
	if nv.BundleDigest == "" {
		return Version{}, fmt.Errorf("registry: model %s: empty bundle digest", nv.Model)
	}
	params := "null"
	if len(nv.Params) > 0 {
		if !json.Valid(nv.Params) {
			return Version{}, fmt.Errorf("registry: model %s: params are not valid JSON", nv.Model)
		}
		params = string(nv.Params)
	}
	metrics, err := encodeJSON(orEmpty(nv.Metrics))
	if err != nil {
		return Version{}, fmt.Errorf("registry: model %s: metrics: %w", nv.Model, err)
	}
	data, err := encodeJSON(orEmpty(nv.DataDigests))
	if err != nil {
		return Version{}, fmt.Errorf("registry: model %s: data digests: %w", nv.Model, err)
	}
	var runID any
	if nv.RunID != "" {
		runID = nv.RunID
	}
	var v Version
	err = r.tx(ctx, func(tx *sql.Tx) error {
		now := r.now()
		if nv.RunID != "" {
			var one int
			err := tx.QueryRowContext(ctx, r.rebind(`SELECT 1 FROM runs WHERE id = ?`), nv.RunID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("registry: model %s: run %q: %w", nv.Model, nv.RunID, ErrNotFound)
			} else if err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, r.rebind(`SELECT COUNT(*) FROM models WHERE name = ?`), nv.Model).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, r.rebind(`INSERT INTO models (name, created_at) VALUES (?, ?)`), nv.Model, fmtTime(now)); err != nil {
				return err
			}
		}
		var latest int
		if err := tx.QueryRowContext(ctx, r.rebind(`SELECT COALESCE(MAX(version), 0) FROM versions WHERE model = ?`), nv.Model).Scan(&latest); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, r.rebind(`INSERT INTO versions (model, version, bundle_digest, run_id, metrics,
			params, data_digests, feature_spec, riskflow_version, git_commit, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			nv.Model, latest+1, nv.BundleDigest, runID, metrics, params, data, nv.FeatureSpec,
			nv.RiskflowVersion, nv.GitCommit, nv.CreatedBy, fmtTime(now))
		if err != nil {
			return err
		}
		v = Version{Model: nv.Model, Number: latest + 1}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Version{}, err
		}
		return Version{}, fmt.Errorf("registry: register version of %s: %w", nv.Model, err)
	}
	return r.Version(ctx, nv.Model, v.Number)
}

func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

const versionCols = `model, version, bundle_digest, COALESCE(run_id, ''), metrics, params, data_digests,
	feature_spec, riskflow_version, git_commit, created_by, created_at`

type scanner interface{ Scan(dest ...any) error }

func scanVersion(s scanner) (Version, error) {
	var v Version
	var metrics, params, data, created string
	if err := s.Scan(&v.Model, &v.Number, &v.BundleDigest, &v.RunID, &metrics, &params, &data,
		&v.FeatureSpec, &v.RiskflowVersion, &v.GitCommit, &v.CreatedBy, &created); err != nil {
		return Version{}, err
	}
	if err := json.Unmarshal([]byte(metrics), &v.Metrics); err != nil {
		return Version{}, fmt.Errorf("registry: %s version %d: metrics: %w", v.Model, v.Number, err)
	}
	if err := json.Unmarshal([]byte(data), &v.DataDigests); err != nil {
		return Version{}, fmt.Errorf("registry: %s version %d: data digests: %w", v.Model, v.Number, err)
	}
	if params != "null" {
		v.Params = json.RawMessage(params)
	}
	var err error
	v.CreatedAt, err = parseTime(created)
	return v, err
}

// Version returns version n of model, or an error wrapping ErrNotFound.
func (r *Registry) Version(ctx context.Context, model string, n int) (Version, error) {
	row := r.db.QueryRowContext(ctx, r.rebind(`SELECT `+versionCols+` FROM versions WHERE model = ? AND version = ?`), model, n)
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, fmt.Errorf("registry: model %s version %d: %w", model, n, ErrNotFound)
	} else if err != nil {
		return Version{}, fmt.Errorf("registry: model %s version %d: %w", model, n, err)
	}
	return v, nil
}

// Versions returns model's versions, oldest first, or an error wrapping ErrNotFound if the
// model does not exist.
func (r *Registry) Versions(ctx context.Context, model string) ([]Version, error) {
	if _, err := r.model(ctx, r.db, model); err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, r.rebind(`SELECT `+versionCols+` FROM versions WHERE model = ? ORDER BY version`), model)
	if err != nil {
		return nil, fmt.Errorf("registry: versions of %s: %w", model, err)
	}
	defer rows.Close()
	var vs []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("registry: versions of %s: %w", model, err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: versions of %s: %w", model, err)
	}
	return vs, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (r *Registry) model(ctx context.Context, q querier, name string) (Model, error) {
	m := Model{Name: name}
	var created string
	err := q.QueryRowContext(ctx, r.rebind(`SELECT created_at FROM models WHERE name = ?`), name).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return Model{}, fmt.Errorf("registry: model %s: %w", name, ErrNotFound)
	} else if err != nil {
		return Model{}, fmt.Errorf("registry: model %s: %w", name, err)
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return Model{}, err
	}
	return m, nil
}

// Model returns one model with its aliases, or an error wrapping ErrNotFound.
func (r *Registry) Model(ctx context.Context, name string) (Model, error) {
	ms, err := r.models(ctx, name)
	if err != nil {
		return Model{}, err
	}
	if len(ms) == 0 {
		return Model{}, fmt.Errorf("registry: model %s: %w", name, ErrNotFound)
	}
	return ms[0], nil
}

// Models returns every model with its latest version number and aliases, sorted by name.
func (r *Registry) Models(ctx context.Context) ([]Model, error) {
	return r.models(ctx, "")
}

func (r *Registry) models(ctx context.Context, only string) ([]Model, error) {
	q := `SELECT m.name, m.created_at, COALESCE(MAX(v.version), 0) FROM models m
		LEFT JOIN versions v ON v.model = m.name`
	aq := `SELECT model, alias, version, mode, updated_by, updated_at, reason FROM aliases`
	var args []any
	if only != "" {
		q += ` WHERE m.name = ?`
		aq += ` WHERE model = ?`
		args = append(args, only)
	}
	q += ` GROUP BY m.name, m.created_at ORDER BY m.name`
	aq += ` ORDER BY model, alias`
	// One read transaction, so models and aliases are one snapshot.
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("registry: models: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, r.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("registry: models: %w", err)
	}
	var ms []Model
	index := map[string]int{}
	for rows.Next() {
		var m Model
		var created string
		if err := rows.Scan(&m.Name, &created, &m.Latest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("registry: models: %w", err)
		}
		if m.CreatedAt, err = parseTime(created); err != nil {
			rows.Close()
			return nil, err
		}
		index[m.Name] = len(ms)
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: models: %w", err)
	}
	rows, err = tx.QueryContext(ctx, r.rebind(aq), args...)
	if err != nil {
		return nil, fmt.Errorf("registry: aliases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var model, updated string
		var a AliasInfo
		if err := rows.Scan(&model, &a.Alias, &a.Version, &a.Mode, &a.UpdatedBy, &updated, &a.Reason); err != nil {
			return nil, fmt.Errorf("registry: aliases: %w", err)
		}
		if a.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		if i, ok := index[model]; ok {
			ms[i].Aliases = append(ms[i].Aliases, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: aliases: %w", err)
	}
	return ms, nil
}

// SetAlias points an alias at a version of its model and records the change in the audit
// trail. The version must exist (else an error wrapping ErrNotFound).
func (r *Registry) SetAlias(ctx context.Context, c AliasChange) error {
	if err := checkName("model", c.Model); err != nil {
		return err
	}
	if err := checkName("alias", c.Alias); err != nil {
		return err
	}
	if err := CheckMode(c.Mode); err != nil {
		return err
	}
	if c.Actor == "" {
		return fmt.Errorf("registry: alias %s of %s: empty actor", c.Alias, c.Model)
	}
	err := r.tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, r.rebind(`SELECT 1 FROM versions WHERE model = ? AND version = ?`), c.Model, c.Version).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("registry: model %s version %d: %w", c.Model, c.Version, ErrNotFound)
		} else if err != nil {
			return err
		}
		return r.moveAlias(ctx, tx, c, ActionSet)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("registry: set alias %s of %s: %w", c.Alias, c.Model, err)
	}
	return err
}

// moveAlias updates the alias row and appends the audit event, inside tx.
func (r *Registry) moveAlias(ctx context.Context, tx *sql.Tx, c AliasChange, action string) error {
	now := fmtTime(r.now())
	from := 0
	err := tx.QueryRowContext(ctx, r.rebind(`SELECT version FROM aliases WHERE model = ? AND alias = ?`), c.Model, c.Alias).Scan(&from)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, r.rebind(`INSERT INTO aliases (model, alias, version, mode, updated_by, updated_at, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), c.Model, c.Alias, c.Version, c.Mode, c.Actor, now, c.Reason)
	case err == nil:
		_, err = tx.ExecContext(ctx, r.rebind(`UPDATE aliases SET version = ?, mode = ?, updated_by = ?, updated_at = ?, reason = ?
			WHERE model = ? AND alias = ?`), c.Version, c.Mode, c.Actor, now, c.Reason, c.Model, c.Alias)
	}
	if err != nil {
		return err
	}
	var seq int
	if err := tx.QueryRowContext(ctx, r.rebind(`SELECT COALESCE(MAX(seq), 0) FROM alias_events WHERE model = ?`), c.Model).Scan(&seq); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, r.rebind(`INSERT INTO alias_events (model, seq, alias, action, from_version, to_version, mode, actor, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), c.Model, seq+1, c.Alias, action, from, c.Version, c.Mode, c.Actor, c.Reason, now)
	return err
}

// Alias returns the version an alias points to and the alias's state, or an error wrapping
// ErrNotFound if the model or alias does not exist.
func (r *Registry) Alias(ctx context.Context, model, alias string) (Version, AliasInfo, error) {
	a := AliasInfo{Alias: alias}
	var updated string
	err := r.db.QueryRowContext(ctx, r.rebind(`SELECT version, mode, updated_by, updated_at, reason FROM aliases
		WHERE model = ? AND alias = ?`), model, alias).Scan(&a.Version, &a.Mode, &a.UpdatedBy, &updated, &a.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, AliasInfo{}, fmt.Errorf("registry: model %s alias %s: %w", model, alias, ErrNotFound)
	} else if err != nil {
		return Version{}, AliasInfo{}, fmt.Errorf("registry: model %s alias %s: %w", model, alias, err)
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return Version{}, AliasInfo{}, err
	}
	v, err := r.Version(ctx, model, a.Version)
	return v, a, err
}

// AliasHistory returns the audit trail of model's aliases, oldest first, or an error
// wrapping ErrNotFound if the model does not exist.
func (r *Registry) AliasHistory(ctx context.Context, model string) ([]AliasEvent, error) {
	if _, err := r.model(ctx, r.db, model); err != nil {
		return nil, err
	}
	return r.history(ctx, r.db, model, "")
}

func (r *Registry) history(ctx context.Context, q querier, model, alias string) ([]AliasEvent, error) {
	query := `SELECT model, seq, alias, action, from_version, to_version, mode, actor, reason, at
		FROM alias_events WHERE model = ?`
	args := []any{model}
	if alias != "" {
		query += ` AND alias = ?`
		args = append(args, alias)
	}
	rows, err := q.QueryContext(ctx, r.rebind(query+` ORDER BY seq`), args...)
	if err != nil {
		return nil, fmt.Errorf("registry: alias history of %s: %w", model, err)
	}
	defer rows.Close()
	var evs []AliasEvent
	for rows.Next() {
		var e AliasEvent
		var at string
		if err := rows.Scan(&e.Model, &e.Seq, &e.Alias, &e.Action, &e.From, &e.To, &e.Mode, &e.Actor, &e.Reason, &at); err != nil {
			return nil, fmt.Errorf("registry: alias history of %s: %w", model, err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: alias history of %s: %w", model, err)
	}
	return evs, nil
}

// Rollback moves an alias back to the version it pointed to before its latest change that
// has not been rolled back already, with that version's mode, and records the change. So
// after setting versions 1, 2 and 3, rollbacks go to 2, then 1, then fail with an error
// wrapping ErrNoPrevious.
func (r *Registry) Rollback(ctx context.Context, model, alias, actor, reason string) (from, to int, err error) {
	if actor == "" {
		return 0, 0, fmt.Errorf("registry: rollback %s of %s: empty actor", alias, model)
	}
	err = r.tx(ctx, func(tx *sql.Tx) error {
		evs, err := r.history(ctx, tx, model, alias)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return fmt.Errorf("registry: model %s alias %s: %w", model, alias, ErrNotFound)
		}
		type state struct {
			version int
			mode    string
		}
		var stack []state
		for _, e := range evs {
			switch e.Action {
			case ActionSet:
				stack = append(stack, state{e.To, e.Mode})
			case ActionRollback:
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
		if len(stack) < 2 {
			return fmt.Errorf("registry: model %s alias %s: %w", model, alias, ErrNoPrevious)
		}
		prev := stack[len(stack)-2]
		from = stack[len(stack)-1].version
		to = prev.version
		return r.moveAlias(ctx, tx, AliasChange{Model: model, Alias: alias, Version: prev.version, Mode: prev.mode, Actor: actor, Reason: reason}, ActionRollback)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoPrevious) {
			return 0, 0, err
		}
		return 0, 0, fmt.Errorf("registry: rollback %s of %s: %w", alias, model, err)
	}
	return from, to, nil
}
