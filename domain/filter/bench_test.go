package filter_test

import (
	"testing"

	"hooks/domain/filter"
)

// benchData is a realistic order event: about 1 KB, a few levels deep,
// with a list of line items.
const benchData = `{"order":{"id":"ord_2Jf8s0Qm","number":100234,"status":"paid","currency":"EUR","total":249.9,
"placedAt":"2026-12-03T10:15:00Z","channel":"web","tags":["vip","newsletter"],
"customer":{"id":"cus_81","email":"ann@example.com","name":"Ann Example","address":{"line1":"Storgatan 1",
"city":"Stockholm","postcode":"11122","country":"SE"}},
"items":[{"sku":"SHOE-42-BLK","name":"Runner","qty":1,"price":129.9},{"sku":"SOCK-3P","name":"Socks","qty":2,"price":10},
{"sku":"CAP-RED","name":"Cap","qty":1,"price":100}],
"shipping":{"method":"express","price":0,"eta":"2026-12-05"},"notes":"Leave at the door, please.\nThanks"}}`

// benchFilter is a realistic filter: a topic prefix, a threshold, a set,
// a member of a list element and a negation.
const benchFilter = `{"topic":{"$startsWith":"orders/"},"data":{"order":{
"total":{"$gte":100},"currency":{"$in":["EUR","SEK","NOK"]},
"items":{"sku":{"$startsWith":"SHOE-"}},"customer":{"address":{"country":{"$nin":["US"]}}}}}}`

// BenchmarkMatch is the per-endpoint cost at fan-out: one compiled filter
// against an event parsed once.
func BenchmarkMatch(b *testing.B) {
	f, err := filter.Compile([]byte(benchFilter))
	if err != nil {
		b.Fatal(err)
	}
	var d filter.Doc
	if err := d.Reset("orders/placed", "", []byte(benchData)); err != nil {
		b.Fatal(err)
	}
	if !f.Match(&d) {
		b.Fatal("the benchmark filter should match")
	}
	b.ReportAllocs()
	for b.Loop() {
		f.Match(&d)
	}
}

// BenchmarkReset is the per-event cost: parsing the event once, with a Doc
// reused from the previous event as fan-out does.
func BenchmarkReset(b *testing.B) {
	data := []byte(benchData)
	var d filter.Doc
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := d.Reset("orders/placed", "", data); err != nil {
			b.Fatal(err)
		}
	}
}
