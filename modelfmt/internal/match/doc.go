// Package match connects an imported model's features to a transformer's outputs: by name
// when the model file stores names, else by position after checking the count. It is shared
// by the modelfmt importers.
package match
