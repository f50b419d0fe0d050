package store

import (
	"context"
	"strings"
	"testing"

	"hooks/domain"
	"hooks/store/storetest"
)

func TestBrokerDestinationIsEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db := openDBAt(t, dsn, WithMasterKey(testKey(1)))
	w := createSecretWebhook(t, db, "")
	w.Destination = domain.Destination{Type: domain.DestinationRabbitMQ, URL: "amqp://hooks:brokerpassw0rd@mq.example:5672/vh",
		Exchange: "orders", RoutingKey: "placed"}
	if err := db.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := db.write.QueryRow(`SELECT destination FROM endpoints WHERE id = $1`, w.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, sealedPrefix) || strings.Contains(raw, "brokerpassw0rd") {
		t.Errorf("stored destination %q is not sealed", raw)
	}
	if storetest.Backend() == storetest.SQLite {
		if found := checkpointedFilesHold(t, db, dsn, "brokerpassw0rd"); len(found) > 0 {
			t.Errorf("the database files hold %q in the clear", found)
		}
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Destination.Equal(w.Destination) {
		t.Errorf("read back %+v, want %+v", got.Destination, w.Destination)
	}
}

func TestHTTPDestinationIsStoredEmpty(t *testing.T) {
	db := openDBAt(t, storetest.DSN(t))
	w := createSecretWebhook(t, db, "")
	var raw string
	if err := db.write.QueryRow(`SELECT destination FROM endpoints WHERE id = $1`, w.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw != "" {
		t.Errorf("stored destination = %q, want empty for HTTP", raw)
	}
	got, err := db.EndpointByID(context.Background(), domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Destination.Type != domain.DestinationHTTP {
		t.Errorf("read back type %q, want http", got.Destination.Type)
	}
}

func TestFirstOpenWithKeySealsBrokerDestinations(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	plain := openDBAt(t, dsn)
	w := createSecretWebhook(t, plain, "")
	w.Destination = domain.Destination{Type: domain.DestinationRedis, URL: "redis://:redispassw0rd@r.example:6379/0", Stream: "s"}
	if err := plain.UpdateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	db := openDBAt(t, dsn, WithMasterKey(testKey(2)))
	var raw string
	if err := db.write.QueryRow(`SELECT destination FROM endpoints WHERE id = $1`, w.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, sealedPrefix) {
		t.Errorf("stored destination %q was not sealed on the first open with a key", raw)
	}
	got, err := db.EndpointByID(ctx, domain.DefaultTenant, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Destination.URL != w.Destination.URL {
		t.Errorf("read back %q", got.Destination.URL)
	}
}
