package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run statuses the pipeline records; the registry stores any non-empty status.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunRejected  = "rejected"
)

// Run is one pipeline run.
type Run struct {
	ID         string    `json:"id"`
	Pipeline   string    `json:"pipeline"`
	Matrix     string    `json:"matrix,omitempty"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// StageRecord is one stage of a run for one matrix value.
type StageRecord struct {
	RunID    string             `json:"run_id"`
	Matrix   string             `json:"matrix,omitempty"`
	Stage    string             `json:"stage"`
	Status   string             `json:"status"`
	CacheKey string             `json:"cache_key,omitempty"`
	Cached   bool               `json:"cached"`
	Started  time.Time          `json:"started"`
	Finished time.Time          `json:"finished,omitzero"`
	Outputs  map[string]string  `json:"outputs"` // output name → artifact digest
	Metrics  map[string]float64 `json:"metrics"`
	Error    string             `json:"error,omitempty"`
}

// CreateRun records a new run. Its ID must be new, else the error wraps ErrExists.
func (r *Registry) CreateRun(ctx context.Context, run Run) error {
	switch {
	case run.ID == "":
		return errors.New("registry: create run: empty run id")
	case run.Pipeline == "":
		return fmt.Errorf("registry: create run %s: empty pipeline name", run.ID)
	case run.Status == "":
		return fmt.Errorf("registry: create run %s: empty status", run.ID)
	}
	if run.StartedAt.IsZero() {
		run.StartedAt = r.now()
	}
	err := r.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, r.rebind(`SELECT COUNT(*) FROM runs WHERE id = ?`), run.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("registry: run %s: %w", run.ID, ErrExists)
		}
		_, err := tx.ExecContext(ctx, r.rebind(`INSERT INTO runs (id, pipeline, matrix, status, started_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?)`), run.ID, run.Pipeline, run.Matrix, run.Status, fmtTime(run.StartedAt), fmtTime(run.FinishedAt))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrExists) {
			return err
		}
		return fmt.Errorf("registry: create run %s: %w", run.ID, err)
	}
	return nil
}

// UpdateRun sets a run's status and finish time (zero while it is still going).
func (r *Registry) UpdateRun(ctx context.Context, id, status string, finished time.Time) error {
	if status == "" {
		return fmt.Errorf("registry: update run %s: empty status", id)
	}
	var n int64
	err := r.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.rebind(`UPDATE runs SET status = ?, finished_at = ? WHERE id = ?`), status, fmtTime(finished), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("registry: update run %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("registry: run %s: %w", id, ErrNotFound)
	}
	return nil
}

// RecordStage inserts or replaces the record of one stage of a run for one matrix value.
func (r *Registry) RecordStage(ctx context.Context, s StageRecord) error {
	if s.Stage == "" || s.Status == "" {
		return fmt.Errorf("registry: record stage of run %s: empty stage name or status", s.RunID)
	}
	outputs, err := encodeJSON(orEmpty(s.Outputs))
	if err != nil {
		return fmt.Errorf("registry: stage %s outputs: %w", s.Stage, err)
	}
	metrics, err := encodeJSON(orEmpty(s.Metrics))
	if err != nil {
		return fmt.Errorf("registry: stage %s metrics: %w", s.Stage, err)
	}
	cached := 0
	if s.Cached {
		cached = 1
	}
	err = r.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, r.rebind(`SELECT COUNT(*) FROM runs WHERE id = ?`), s.RunID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("registry: run %s: %w", s.RunID, ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, r.rebind(`UPDATE stages SET status = ?, cache_key = ?, cached = ?, started_at = ?,
			finished_at = ?, outputs = ?, metrics = ?, error = ? WHERE run_id = ? AND matrix = ? AND stage = ?`),
			s.Status, s.CacheKey, cached, fmtTime(s.Started), fmtTime(s.Finished), outputs, metrics, s.Error,
			s.RunID, s.Matrix, s.Stage)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, r.rebind(`INSERT INTO stages (run_id, matrix, stage, status, cache_key, cached,
			started_at, finished_at, outputs, metrics, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			s.RunID, s.Matrix, s.Stage, s.Status, s.CacheKey, cached, fmtTime(s.Started), fmtTime(s.Finished),
			outputs, metrics, s.Error)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("registry: record stage %s of run %s: %w", s.Stage, s.RunID, err)
	}
	return nil
}

func scanRun(s scanner) (Run, error) {
	var run Run
	var started, finished string
	if err := s.Scan(&run.ID, &run.Pipeline, &run.Matrix, &run.Status, &started, &finished); err != nil {
		return Run{}, err
	}
	var err error
	if run.StartedAt, err = parseTime(started); err != nil {
		return Run{}, err
	}
	run.FinishedAt, err = parseTime(finished)
	return run, err
}

// Runs returns the latest runs, newest first; limit <= 0 means all.
func (r *Registry) Runs(ctx context.Context, limit int) ([]Run, error) {
	q := `SELECT id, pipeline, matrix, status, started_at, finished_at FROM runs ORDER BY started_at DESC, id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := r.db.QueryContext(ctx, r.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("registry: runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		run, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("registry: runs: %w", err)
		}
		runs = append(runs, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: runs: %w", err)
	}
	return runs, nil
}

// Run returns a run and its stages (ordered by matrix value and start time), or an error
// wrapping ErrNotFound.
func (r *Registry) Run(ctx context.Context, id string) (Run, []StageRecord, error) {
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Run{}, nil, fmt.Errorf("registry: run %s: %w", id, err)
	}
	defer tx.Rollback()
	run, err := scanRun(tx.QueryRowContext(ctx, r.rebind(`SELECT id, pipeline, matrix, status, started_at, finished_at
		FROM runs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, nil, fmt.Errorf("registry: run %s: %w", id, ErrNotFound)
	} else if err != nil {
		return Run{}, nil, fmt.Errorf("registry: run %s: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, r.rebind(`SELECT run_id, matrix, stage, status, cache_key, cached, started_at,
		finished_at, outputs, metrics, error FROM stages WHERE run_id = ? ORDER BY matrix, started_at, stage`), id)
	if err != nil {
		return Run{}, nil, fmt.Errorf("registry: stages of run %s: %w", id, err)
	}
	defer rows.Close()
	var stages []StageRecord
	for rows.Next() {
		var s StageRecord
		var cached int
		var started, finished, outputs, metrics string
		if err := rows.Scan(&s.RunID, &s.Matrix, &s.Stage, &s.Status, &s.CacheKey, &cached, &started, &finished,
			&outputs, &metrics, &s.Error); err != nil {
			return Run{}, nil, fmt.Errorf("registry: stages of run %s: %w", id, err)
		}
		s.Cached = cached != 0
		if s.Started, err = parseTime(started); err != nil {
			return Run{}, nil, err
		}
		if s.Finished, err = parseTime(finished); err != nil {
			return Run{}, nil, err
		}
		if err := json.Unmarshal([]byte(outputs), &s.Outputs); err != nil {
			return Run{}, nil, fmt.Errorf("registry: stage %s of run %s: outputs: %w", s.Stage, id, err)
		}
		if err := json.Unmarshal([]byte(metrics), &s.Metrics); err != nil {
			return Run{}, nil, fmt.Errorf("registry: stage %s of run %s: metrics: %w", s.Stage, id, err)
		}
		stages = append(stages, s)
	}
	if err := rows.Err(); err != nil {
		return Run{}, nil, fmt.Errorf("registry: stages of run %s: %w", id, err)
	}
	return run, stages, nil
}
