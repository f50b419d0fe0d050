package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hooks/delivery"
	"hooks/store"
	"hooks/store/storetest"
)

// BenchmarkPostEvent is the API's hot path without the network: key
// lookup, scope check, tenant, decode, store. It guards against per-request
// work creeping into authentication (such as writing a key's last use).
//
//	go test ./web/ -run '^$' -bench PostEvent -benchtime 3s
func BenchmarkPostEvent(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	srv := New(db, delivery.New(db, delivery.Config{Logger: log}), Config{Logger: log})
	_, key, err := db.CreateAPIKey(ctx, "", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/api/v1/events", strings.NewReader(`{"topic":"orders/created","data":{"id":1}}`))
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
			io.Copy(io.Discard, w.Body)
		}
	})
}
