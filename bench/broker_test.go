package bench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"hooks/store/storetest"
)

// TestRunThroughABroker runs a short bench whose endpoints publish to
// RabbitMQ and to NATS JetStream, consumed in process, and checks that
// every delivery arrived once with a good signature.
func TestRunThroughABroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	storetest.SkipOnPostgres(t, "the broker side does not depend on the database")
	for dest, env := range map[string]string{"rabbitmq": "HOOKS_TEST_AMQP_URL", "nats": "HOOKS_TEST_NATS_URL"} {
		t.Run(dest, func(t *testing.T) {
			url := os.Getenv(env)
			if url == "" {
				if os.Getenv("HOOKS_REQUIRE_BROKERS") != "" {
					t.Fatalf("%s is not set", env)
				}
				t.Skipf("%s is not set: run `eval \"$(bash .ci/brokers.sh)\"` to bench against a real broker", env)
			}
			var out bytes.Buffer
			res, err := Run(context.Background(), Config{
				DB: storetest.DSN(t), Events: 200, Fanout: 2, Concurrency: 4, Workers: 16, VerifyEvery: 3,
				Destination: dest, BrokerURL: url, Out: &out,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Completed != res.Expected || res.Expected != 2*res.EventsAccepted {
				t.Errorf("completed %d of %d deliveries", res.Completed, res.Expected)
			}
			checkNoErrors(t, res)
			if err := res.WriteTable(&out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "destination") || strings.Contains(out.String(), "guest:guest") {
				t.Errorf("report:\n%s", out.String())
			}
		})
	}
}

func TestBrokerRunRefusesWhatItCannotDo(t *testing.T) {
	for _, c := range []Config{
		{Destination: "kafka", BrokerURL: "x"},
		{Destination: "nats"},
		{Destination: "nats", BrokerURL: "nats://127.0.0.1:4222", FailEndpoints: 1},
	} {
		if err := c.setDefaults(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
