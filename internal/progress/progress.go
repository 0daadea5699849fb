// Package progress shows progress bars for long CLI work (mpb underneath). Bars are drawn only
// when the output is a terminal; otherwise every call is a cheap no-op, so commands in scripts
// and CI stay quiet.
package progress

import (
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Bar is one progress bar. The zero of a disabled bar is safe to use.
type Bar struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	start time.Time
	note  atomic.Pointer[string]
}

// Options configures a bar.
type Options struct {
	Name  string // shown before the bar, e.g. "reading"
	Unit  string // counted thing, e.g. "rows" or "trees"
	Total int64  // 0 when unknown (the bar then shows a running count)
}

// Start starts a bar on w if w is a terminal and enabled is true; otherwise it returns a bar
// that draws nothing.
func Start(w io.Writer, enabled bool, o Options) *Bar {
	b := &Bar{start: time.Now()}
	if !enabled || !IsTerminal(w) {
		return b
	}
	b.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond))
	unit := " " + o.Unit
	count := decor.Any(func(s decor.Statistics) string {
		if o.Total > 0 {
			return humanCount(s.Current) + "/" + humanCount(s.Total) + unit
		}
		return humanCount(s.Current) + unit
	}, decor.WCSyncSpaceR)
	rate := decor.Any(func(s decor.Statistics) string {
		el := time.Since(b.start).Seconds()
		if el <= 0 {
			return ""
		}
		return humanCount(int64(float64(s.Current)/el)) + unit + "/s"
	}, decor.WCSyncSpace)
	note := decor.Any(func(decor.Statistics) string {
		if n := b.note.Load(); n != nil {
			return *n
		}
		return ""
	}, decor.WCSyncSpace)
	appends := []decor.Decorator{rate, note}
	if o.Total > 0 {
		appends = append(appends, decor.OnComplete(decor.EwmaETA(decor.ET_STYLE_GO, 30, decor.WCSyncSpace), ""))
	}
	b.bar = b.p.New(o.Total, mpb.BarStyle(),
		mpb.PrependDecorators(decor.Name(o.Name, decor.WCSyncSpaceR), count),
		mpb.AppendDecorators(appends...),
	)
	return b
}

// Add advances the bar by n.
func (b *Bar) Add(n int64) {
	if b.bar != nil {
		b.bar.EwmaIncrInt64(n, time.Since(b.start)/time.Duration(max(b.bar.Current()+n, 1)))
	}
}

// SetCurrent sets the bar's count.
func (b *Bar) SetCurrent(n int64) {
	if b.bar != nil {
		b.bar.EwmaSetCurrent(n, time.Since(b.start)/time.Duration(max(n, 1)))
	}
}

// Note sets a short text shown after the bar (for example the validation metric).
func (b *Bar) Note(s string) { b.note.Store(&s) }

// Done completes the bar and waits for the final draw. Call it once, on success or failure.
func (b *Bar) Done() {
	if b.bar == nil {
		return
	}
	if b.bar.Current() < 1 || !b.bar.Completed() {
		b.bar.SetTotal(-1, true)
	}
	b.p.Wait()
}

func humanCount(n int64) string {
	switch {
	case n >= 10_000_000:
		return itoa(n/1_000_000) + "M"
	case n >= 10_000:
		return itoa(n/1_000) + "k"
	}
	return itoa(n)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
