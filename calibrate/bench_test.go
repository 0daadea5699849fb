package calibrate

import "testing"

func BenchmarkApplyPlatt(b *testing.B) {
	c := &Calibrator{Method: Platt, A: -0.8, B: 0.2}
	benchApply(b, c)
}

func BenchmarkApplyIsotonic(b *testing.B) {
	s, y := miscalibrated(1, 100_000)
	c, err := Fit(Isotonic, s, y)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(c.X)), "knots")
	benchApply(b, c)
}

func benchApply(b *testing.B, c *Calibrator) {
	s, _ := miscalibrated(2, 1024)
	b.ReportAllocs()
	i := 0
	var sink float64
	for b.Loop() {
		sink += c.Apply(s[i&1023])
		i++
	}
	_ = sink
}

func BenchmarkFitPlatt(b *testing.B) {
	s, y := miscalibrated(1, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(Platt, s, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitIsotonic(b *testing.B) {
	s, y := miscalibrated(1, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(Isotonic, s, y); err != nil {
			b.Fatal(err)
		}
	}
}
