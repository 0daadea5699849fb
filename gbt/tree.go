package gbt

// Node is one node of a Tree in canonical (serialized) form. The predictor compiles trees into
// its own compact layout; Node is what trainers and importers build and what bundles store.
//
// Split semantics, shared by every model riskflow serves (importers convert other libraries'
// rules into these):
//   - a missing value (NaN) goes left if DefaultLeft, else right;
//   - numeric split (Categorical false): x < Threshold goes left, else right;
//   - categorical split: the value is a category code (0, 1, 2, ...); it goes left if the code
//     is in Categories, else right. A code that is negative, non-integer or beyond the set goes right.
type Node struct {
	Feature     int32    `json:"f"`            // split feature index; -1 for a leaf
	Threshold   float64  `json:"t,omitempty"`  // numeric split threshold
	Left        int32    `json:"l"`            // index of the left child in Tree.Nodes; -1 for a leaf
	Right       int32    `json:"r"`            // index of the right child; -1 for a leaf
	DefaultLeft bool     `json:"d,omitempty"`  // where missing values go
	Categorical bool     `json:"c,omitempty"`  // categorical split
	Categories  []uint32 `json:"cs,omitempty"` // categorical split: sorted category codes that go left
	Value       float64  `json:"v"`            // leaf: the output added to the margin (learning rate applied); internal: the node's weight
	Gain        float64  `json:"g,omitempty"`  // split gain (loss reduction); 0 for a leaf
	Cover       float64  `json:"h"`            // sum of hessians of the training rows reaching the node
}

// IsLeaf reports whether the node is a leaf.
func (n *Node) IsLeaf() bool { return n.Feature < 0 }

// Tree is one regression tree; Nodes[0] is the root.
type Tree struct {
	Nodes []Node `json:"nodes"`
}
