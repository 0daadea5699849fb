package serve

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"riskflow/bundle"
)

// Reload asks the source for the models to serve, loads the versions whose Ref Key changed (in
// parallel, beside the versions serving), verifies them and swaps the new snapshot in
// atomically. Requests in flight finish on the version they started with. A version that
// fails to load leaves the one serving in place; each failure is logged, counted in
// riskflow_serve_model_load_failures_total and returned, joined. Models the source no longer
// lists are dropped. The command calls Reload at startup and on SIGHUP; the poller calls it
// every Options.PollInterval, skipping a Ref whose Key failed before (Reload retries it).
func (s *Server) Reload(ctx context.Context) error { return s.reload(ctx, true) }

// loadSlot is one version a reload wants: a model's champion or challenger.
type loadSlot struct {
	name string
	role string // "champion" or "challenger"
	ref  Ref
	got  *model
	err  error
}

// maxParallelLoads bounds the bundles read at once.
const maxParallelLoads = 8

func (s *Server) reload(ctx context.Context, retryFailed bool) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	start := time.Now()
	specs, err := s.opts.Source.Models(ctx)
	if err == nil {
		err = validateSpecs(specs)
	}
	if err != nil {
		s.metrics.sourceErrors.Inc()
		s.log.Error("serve: listing models failed; the served models stay", "err", err)
		return err
	}
	old := s.set.Load()

	// Resolve each wanted version: a loaded model with the same key (of either role, so a
	// promotion swaps without loading), or a load.
	var slots []*loadSlot
	var todo []*loadSlot
	want := func(name, role string, ref Ref) *loadSlot {
		sl := &loadSlot{name: name, role: role, ref: ref}
		if oe := old.lookup(name); oe != nil {
			for _, md := range []*model{oe.champion, oe.challenger} {
				if md != nil && md.key == ref.Key && (ref.Version == "" || ref.Version == md.version) {
					sl.got = md
				}
			}
		}
		if sl.got == nil && (retryFailed || s.failed[name+"/"+role] != ref.Key) {
			todo = append(todo, sl)
		}
		slots = append(slots, sl)
		return sl
	}
	type pair struct{ champ, chall *loadSlot }
	pairs := make([]pair, len(specs))
	for i, sp := range specs {
		pairs[i].champ = want(sp.Name, "champion", sp.Champion)
		if sp.Challenger != nil {
			pairs[i].chall = want(sp.Name, "challenger", *sp.Challenger)
		}
	}

	s.loadAll(ctx, todo)

	var errs []error
	for _, sl := range todo {
		id := sl.name + "/" + sl.role
		if sl.err != nil {
			s.failed[id] = sl.ref.Key
			s.metrics.loadFailures.WithLabelValues(sl.name).Inc()
			s.log.Error("serve: loading a model failed; the version serving, if any, stays",
				"model", sl.name, "role", sl.role, "err", sl.err)
			errs = append(errs, fmt.Errorf("serve: model %q (%s): %w", sl.name, sl.role, sl.err))
			continue
		}
		delete(s.failed, id)
	}

	// Build the new snapshot.
	set := &modelSet{entries: make(map[string]*entry, len(specs)), ready: len(specs) > 0, loaded: true}
	for i, sp := range specs {
		oe := old.lookup(sp.Name)
		lim := s.opts.limits(sp.Limits)
		e := &entry{name: sp.Name, route: sp.Route, limits: lim, canaryKey: sp.Route.Key}
		if e.canaryKey == "" {
			e.canaryKey = DefaultCanaryKey
		}
		e.champion = pairs[i].champ.got
		if e.champion == nil && oe != nil {
			e.champion = oe.champion // the new version failed: the old one stays
		}
		if pc := pairs[i].chall; pc != nil {
			e.challenger = pc.got
			if e.challenger == nil && oe != nil {
				e.challenger = oe.challenger
			}
		}
		if oe != nil {
			e.q = oe.q
			if oe.limits != lim {
				e.q.setLimits(lim.QueueSize, lim.QueueTimeout, lim.MaxConcurrent)
			}
		} else {
			e.q = s.sched.newQueue(sp.Name, lim.QueueSize, lim.QueueTimeout, lim.MaxConcurrent)
		}
		if !e.ready() {
			set.ready = false
		}
		set.entries[sp.Name] = e
		set.names = append(set.names, sp.Name)
	}
	slices.Sort(set.names)
	s.set.Store(set)
	s.logChanges(old, set, time.Since(start))
	return errors.Join(errs...)
}

// loadAll loads the slots' refs in parallel, each distinct Key once (a bundle shared by
// several models or roles is read once; singleflight also merges a load with one already in
// flight for the same Key).
func (s *Server) loadAll(ctx context.Context, todo []*loadSlot) {
	byKey := map[string][]*loadSlot{}
	var keys []string
	for _, sl := range todo {
		if byKey[sl.ref.Key] == nil {
			keys = append(keys, sl.ref.Key)
		}
		byKey[sl.ref.Key] = append(byKey[sl.ref.Key], sl)
	}
	sem := make(chan struct{}, min(maxParallelLoads, max(runtime.GOMAXPROCS(0), 2)))
	var wg sync.WaitGroup
	for _, key := range keys {
		slots := byKey[key]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			v, err, _ := s.loads.Do(key, func() (any, error) {
				b, err := slots[0].ref.Load(ctx)
				if err == nil && b == nil {
					err = errors.New("the source returned no bundle")
				}
				return b, err
			})
			for _, sl := range slots {
				if err != nil {
					sl.err = err
					continue
				}
				sl.got, sl.err = newModel(sl.name, sl.ref, v.(*bundle.Bundle), s.metrics)
				s.metrics.loadSeconds.WithLabelValues(sl.name).Observe(time.Since(t0).Seconds())
			}
		}()
	}
	wg.Wait()
}

// logChanges logs the versions swapped in and out, and keeps riskflow_serve_model_info current.
func (s *Server) logChanges(old, cur *modelSet, took time.Duration) {
	roleOf := func(e *entry) map[*model]string {
		m := map[*model]string{}
		if e == nil {
			return m
		}
		if e.champion != nil {
			m[e.champion] = "champion"
		}
		if e.challenger != nil {
			m[e.challenger] = "challenger"
		}
		return m
	}
	for _, name := range cur.names {
		e := cur.entries[name]
		before := roleOf(old.lookup(name))
		for md, role := range roleOf(e) {
			if before[md] == role {
				continue
			}
			s.metrics.modelInfo.WithLabelValues(name, md.version, role).Set(1)
			attrs := []any{"model", name, "version", md.version, "role", role, "reload_ms", took.Milliseconds()}
			if oe := old.lookup(name); oe != nil {
				prev := oe.champion
				if role == "challenger" {
					prev = oe.challenger
				}
				if prev != nil && prev != md {
					attrs = append(attrs, "replaces", prev.version)
				}
			}
			if e.challenger == md && e.challenger != nil {
				attrs = append(attrs, "mode", e.route.String())
			}
			s.log.Info("serve: model version in service", attrs...)
		}
		now := roleOf(e)
		for md, role := range before {
			if now[md] != role {
				s.metrics.modelInfo.DeleteLabelValues(name, md.version, role)
			}
		}
	}
	for _, name := range old.names {
		if cur.lookup(name) == nil {
			for md, role := range roleOf(old.entries[name]) {
				s.metrics.modelInfo.DeleteLabelValues(name, md.version, role)
			}
			s.log.Info("serve: model removed", "model", name)
		}
	}
}
