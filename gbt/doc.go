// Package gbt holds a trained tree ensemble: the model that boost produces and that importers
// of XGBoost and LightGBM models convert into. It predicts (one row or a batch), explains
// (TreeSHAP), and reports feature importance. It contains no training code.
//
// Trees are stored in canonical form (Tree, Node) and compiled at New into a flat layout that
// the predictor walks without allocation.
package gbt
