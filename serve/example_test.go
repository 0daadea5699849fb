package serve_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"riskflow/boost"
	"riskflow/bundle"
	"riskflow/datagen"
	"riskflow/feature"
	"riskflow/serve"
)

func Example() {
	dir, err := os.MkdirTemp("", "serve-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	writeExampleBundle(filepath.Join(dir, "orders.bundle")) // what 'riskflow train' writes

	// Serve every *.bundle file of dir, each under its file name.
	srv, err := serve.New(serve.Options{Source: &serve.FileSource{Dir: dir}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if err := srv.Reload(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready:", srv.Ready())

	// In production: srv.Serve(listener). Here, one request through the handler.
	body := `{"instances": [{"order_amount": 129.9, "market": "de", "is_first_order": true}]}`
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("POST", "/v1/models/orders:predict", strings.NewReader(body)))
	fmt.Println(w.Code, strings.HasPrefix(w.Body.String(), `{"predictions":[0.`))
	// Output:
	// ready: true
	// 200 true
}

// writeExampleBundle trains a small model on synthetic orders and writes it to path.
func writeExampleBundle(path string) {
	ctx := context.Background()
	f, err := datagen.GenerateFrame(ctx, datagen.Config{Rows: 500, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	spec, err := feature.Infer(f, datagen.LabelColumn, "order_id")
	if err != nil {
		log.Fatal(err)
	}
	tr, x, err := feature.FitTransform(spec, f, feature.FitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	y, err := tr.Label(f)
	if err != nil {
		log.Fatal(err)
	}
	feats := make([]boost.Feature, x.Cols)
	for j, o := range tr.Outputs() {
		feats[j] = boost.Feature{Name: o.Name, Categorical: o.Categorical}
	}
	p := boost.DefaultParams()
	p.Trees, p.MaxDepth = 5, 3
	res, err := boost.Train(ctx, &boost.Dataset{X: x.Data, Rows: x.Rows, Features: feats, Y: y}, nil, p, boost.Options{})
	if err != nil {
		log.Fatal(err)
	}
	b, err := bundle.New(bundle.Metadata{ModelType: bundle.TypeGBDT, Label: datagen.LabelColumn}, tr, res.Model, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := bundle.Write(path, b); err != nil {
		log.Fatal(err)
	}
}
