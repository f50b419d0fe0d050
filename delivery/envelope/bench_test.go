package envelope

import (
	"strings"
	"testing"
)

// benchData is about 1 KiB of event data, the size the engine's throughput
// target is measured with.
var benchData = `{"id": "prod_123", "name": "Widget \"deluxe\"", "price": 12.5, "tags": ["a", "b", "c"],
 "customer": {"id": 42, "email": "ann@example.com", "address": {"street": "Main St 1", "city": "Amsterdam"}},
 "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}], "notes": "` + strings.Repeat("lorem ipsum ", 60) + `"}`

func benchmarkRender(b *testing.B, spec Spec, topic string) {
	b.Helper()
	e := mustCompile(b, spec)
	s := testScope()
	s.Event.Topic = topic
	s.Event.Data = []byte(benchData)
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := e.Render(buf[:0], s)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}

func BenchmarkRenderRaw(b *testing.B) {
	benchmarkRender(b, Spec{Type: KindRaw}, "product/updated")
}

func BenchmarkRenderStandard(b *testing.B) {
	benchmarkRender(b, Spec{Type: KindStandard}, "product/updated")
}

func BenchmarkRenderPepperi(b *testing.B) {
	benchmarkRender(b, Spec{Type: KindTemplate, Template: PepperiTemplate}, "product/updated")
}

func BenchmarkRenderAlphaTouch(b *testing.B) {
	benchmarkRender(b, Spec{Type: KindTemplate, Template: AlphaTouchTemplate}, "product/updated")
}

func BenchmarkCompilePepperi(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(Spec{Type: KindTemplate, Template: PepperiTemplate}); err != nil {
			b.Fatal(err)
		}
	}
}
