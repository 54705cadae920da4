// promql-check parses PromQL expressions with Prometheus's own parser and reports the ones that do not
// parse. Input on stdin: a JSON array of {"name": ..., "expr": ...}. Exit status 1 if any fails.
// Used by test/delivery/chart.test.ts for the chart's alert rules and dashboard queries.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/promql/parser"
)

type item struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

func main() {
	var items []item
	if err := json.NewDecoder(os.Stdin).Decode(&items); err != nil {
		fmt.Fprintln(os.Stderr, "promql-check: reading input:", err)
		os.Exit(2)
	}
	failed := 0
	for _, it := range items {
		if _, err := parser.ParseExpr(it.Expr); err != nil {
			failed++
			fmt.Printf("%s: %v\n", it.Name, err)
		}
	}
	if failed > 0 {
		os.Exit(1)
	}
	fmt.Printf("%d expressions parsed\n", len(items))
}
