package gbt

import "fmt"

// ImportanceKind selects a feature importance measure. All are taken over the split nodes that
// use a feature, in every tree.
type ImportanceKind int

// The importance measures (XGBoost's names in parentheses).
const (
	SplitCount   ImportanceKind = iota // number of splits (weight)
	TotalGain                          // sum of Node.Gain (total_gain)
	AverageGain                        // TotalGain / SplitCount (gain)
	TotalCover                         // sum of Node.Cover (total_cover)
	AverageCover                       // TotalCover / SplitCount (cover)
)

func (k ImportanceKind) String() string {
	switch k {
	case SplitCount:
		return "split count"
	case TotalGain:
		return "total gain"
	case AverageGain:
		return "average gain"
	case TotalCover:
		return "total cover"
	case AverageCover:
		return "average cover"
	}
	return fmt.Sprintf("ImportanceKind(%d)", int(k))
}

// importance holds per-feature sums over the reachable split nodes, gathered by compile.
type importance struct {
	splits, gain, cover []float64
}

// Importance returns one value per feature (len NumFeatures): a feature that no split uses
// gets 0, for the averages too. It panics on an unknown kind.
func (e *Ensemble) Importance(kind ImportanceKind) []float64 {
	im := &e.mustCompiled().importance
	out := make([]float64, e.NumFeatures)
	switch kind {
	case SplitCount:
		copy(out, im.splits)
	case TotalGain:
		copy(out, im.gain)
	case TotalCover:
		copy(out, im.cover)
	case AverageGain, AverageCover:
		sum := im.gain
		if kind == AverageCover {
			sum = im.cover
		}
		for i, n := range im.splits {
			if n > 0 {
				out[i] = sum[i] / n
			}
		}
	default:
		panic(fmt.Sprintf("gbt: unknown importance kind %d", int(kind)))
	}
	return out
}
