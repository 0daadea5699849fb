package eval

import "testing"

const benchRows = 100_000

func BenchmarkAUC(b *testing.B) {
	y, p := randomSample(1, benchRows, 0)
	b.ReportAllocs()
	for b.Loop() {
		AUC(y, p)
	}
}

func BenchmarkAUCTies(b *testing.B) {
	y, p := randomSample(1, benchRows, 100)
	b.ReportAllocs()
	for b.Loop() {
		AUC(y, p)
	}
}

func BenchmarkLogLoss(b *testing.B) {
	y, p := randomSample(1, benchRows, 0)
	b.ReportAllocs()
	for b.Loop() {
		LogLoss(y, p)
	}
}

func BenchmarkDeLongPaired(b *testing.B) {
	y, p := randomSample(1, benchRows, 0)
	_, p2 := randomSample(2, benchRows, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DeLongPaired(y, p, p2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompute(b *testing.B) {
	y, p := randomSample(1, benchRows, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(y, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPSI(b *testing.B) {
	_, e := randomSample(1, benchRows, 0)
	_, a := randomSample(2, benchRows, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PSI(e, a, 10); err != nil {
			b.Fatal(err)
		}
	}
}
