package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// providerScope returns a delivery of an event with topic and data to an
// endpoint with the metadata that the provider templates read.
func providerScope(topic, data string) *Scope {
	return &Scope{
		Event: Event{
			ID:          "evt_01JNX8Q6W3V4A1",
			TenantID:    "OU1243",
			Topic:       topic,
			TriggeredAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
			Data:        []byte(data),
		},
		Delivery: Delivery{
			ID:        "dlv_01JNX8Q6W3V4A2",
			CreatedAt: time.Date(2026, 3, 1, 9, 0, 0, 5000000, time.UTC),
			UpdatedAt: time.Date(2026, 3, 1, 9, 0, 30, 0, time.UTC),
			Attempt:   1,
		},
		Endpoint: Endpoint{
			ID:   "wbh_01JNX8Q6W3V4A3",
			Name: "ERP",
			Metadata: map[string]string{
				"companyId":      "232455",
				"triggeredById":  "123",
				"triggeredByUri": "/users/123",
				"api_key":        "UNIQUE_API_KEY",
			},
		},
	}
}

// compact removes the insignificant white space from a JSON document.
func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("json.Compact: %v\n%s", err, s)
	}
	return b.String()
}

func TestPepperiTemplate(t *testing.T) {
	tests := []struct {
		name  string
		topic string
		data  string
		meta  map[string]string // replaces the metadata when not nil
		want  string
	}{
		{
			name:  "account created",
			topic: "accounts/created",
			data:  `{"ID": 173331, "ExternalID": "ASFG9322", "URI": "/accounts/173331"}`,
			want: `{"ID": "evt_01JNX8Q6W3V4A1",
				"Delivery": {"ID": "dlv_01JNX8Q6W3V4A2", "CreatedAt": "2026-03-01T09:00:00.005Z", "UpdatedAt": "2026-03-01T09:00:30Z"},
				"CompanyID": 232455,
				"TriggeredBy": {"ID": "123", "URI": "/users/123"},
				"Data": {"ID": 173331, "ExternalID": "ASFG9322", "URI": "/accounts/173331"}}`,
		},
		{
			name:  "order updated by a user named in the data",
			topic: "orders/updated",
			data:  `{"ID": 5, "Status": "Submitted", "TriggeredBy": {"ID": 77, "URI": "/users/77"}}`,
			want: `{"ID": "evt_01JNX8Q6W3V4A1",
				"Delivery": {"ID": "dlv_01JNX8Q6W3V4A2", "CreatedAt": "2026-03-01T09:00:00.005Z", "UpdatedAt": "2026-03-01T09:00:30Z"},
				"CompanyID": 232455,
				"TriggeredBy": {"ID": 77, "URI": "/users/77"},
				"Data": {"ID": 5, "Status": "Submitted", "TriggeredBy": {"ID": 77, "URI": "/users/77"}}}`,
		},
		{
			name:  "account deleted, company id that is not a number",
			topic: "accounts/deleted",
			data:  `{"ID": 173331}`,
			meta:  map[string]string{"companyId": "OU1243"},
			want: `{"ID": "evt_01JNX8Q6W3V4A1",
				"Delivery": {"ID": "dlv_01JNX8Q6W3V4A2", "CreatedAt": "2026-03-01T09:00:00.005Z", "UpdatedAt": "2026-03-01T09:00:30Z"},
				"CompanyID": "OU1243",
				"TriggeredBy": {"ID": null, "URI": null},
				"Data": {"ID": 173331}}`,
		},
	}
	e := mustCompile(t, Spec{Type: KindTemplate, Template: PepperiTemplate})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := providerScope(tt.topic, tt.data)
			if tt.meta != nil {
				s.Endpoint.Metadata = tt.meta
			}
			// The data is embedded as posted, spacing and all, so compare
			// both sides compacted.
			if got, want := compact(t, mustRender(t, e, s)), compact(t, tt.want); got != want {
				t.Errorf("Render =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestAlphaTouchTemplate(t *testing.T) {
	tests := []struct {
		name  string
		topic string
		data  string
		want  string
	}{
		{
			name:  "create",
			topic: "resident/created",
			data:  `{"id": 17, "name": "Ann"}`,
			want:  `{"api_key": "UNIQUE_API_KEY", "action": "create", "entity": "resident", "entity_id": 17, "data": {"id": 17, "name": "Ann"}}`,
		},
		{
			name:  "update",
			topic: "resident/updated",
			data:  `{"id": 17, "name": "Ann B."}`,
			want:  `{"api_key": "UNIQUE_API_KEY", "action": "update", "entity": "resident", "entity_id": 17, "data": {"id": 17, "name": "Ann B."}}`,
		},
		{
			name:  "delete omits data",
			topic: "product/deleted",
			data:  `{"id": "p-9"}`,
			want:  `{"api_key": "UNIQUE_API_KEY", "action": "delete", "entity": "product", "entity_id": "p-9"}`,
		},
		{
			name:  "delete in the present tense",
			topic: "product/delete",
			data:  `{"id": "p-9"}`,
			want:  `{"api_key": "UNIQUE_API_KEY", "action": "delete", "entity": "product", "entity_id": "p-9"}`,
		},
		{
			name:  "array of ids",
			topic: "resident/updated",
			data:  `{"id": [17, 18]}`,
			want:  `{"api_key": "UNIQUE_API_KEY", "action": "update", "entity": "resident", "entity_id": [17, 18], "data": {"id": [17, 18]}}`,
		},
	}
	e := mustCompile(t, Spec{Type: KindTemplate, Template: AlphaTouchTemplate})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compact(t, mustRender(t, e, providerScope(tt.topic, tt.data)))
			if want := compact(t, tt.want); got != want {
				t.Errorf("Render =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func ExampleCompile() {
	e, err := Compile(Spec{Type: KindStandard})
	if err != nil {
		panic(err)
	}
	body, err := e.Render(nil, &Scope{Event: Event{
		Topic:       "orders/placed",
		TriggeredAt: time.Date(2026, 3, 1, 10, 30, 0, 250, time.FixedZone("CET", 3600)),
		Data:        []byte(`{"id":"ord_1","total":42}`),
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(body))
	// Output:
	// {"type":"orders/placed","timestamp":"2026-03-01T09:30:00.00000025Z","data":{"id":"ord_1","total":42}}
}

func ExampleSpec_Validate() {
	s := Spec{Type: KindTemplate, Template: `{
  "id": "{{ event.id }}",
  "customer": "{{ evnt.data.customer }}"
}`}
	fmt.Println(s.Validate())
	// Output:
	// invalid envelope: template line 3, column 19 (at $.customer): unknown name "evnt" in "evnt.data.customer" (want event, delivery, endpoint or metadata)
}

func Example_pepperi() {
	e, err := Compile(Spec{Type: KindTemplate, Template: PepperiTemplate})
	if err != nil {
		panic(err)
	}
	s := &Scope{
		Event: Event{
			ID:          "ef6ed5b0-b7dc-44c5-9d8a-e8630318404b",
			Topic:       "accounts/created",
			TriggeredAt: time.Date(2016, 9, 6, 9, 24, 22, 0, time.UTC),
			Data:        []byte(`{"ID":173331,"ExternalID":"ASFG9322","URI":"/accounts/173331"}`),
		},
		Delivery: Delivery{
			ID:        "dlv_2345522",
			CreatedAt: time.Date(2016, 9, 6, 9, 24, 22, 0, time.UTC),
			UpdatedAt: time.Date(2016, 9, 6, 9, 24, 22, 0, time.UTC),
			Attempt:   1,
		},
		Endpoint: Endpoint{Metadata: map[string]string{
			"companyId": "232455", "triggeredById": "123", "triggeredByUri": "/users/123",
		}},
	}
	body, err := e.Render(nil, s)
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	json.Indent(&out, body, "", "  ")
	fmt.Println(out.String())
	// Output:
	// {
	//   "ID": "ef6ed5b0-b7dc-44c5-9d8a-e8630318404b",
	//   "Delivery": {
	//     "ID": "dlv_2345522",
	//     "CreatedAt": "2016-09-06T09:24:22Z",
	//     "UpdatedAt": "2016-09-06T09:24:22Z"
	//   },
	//   "CompanyID": 232455,
	//   "TriggeredBy": {
	//     "ID": "123",
	//     "URI": "/users/123"
	//   },
	//   "Data": {
	//     "ID": 173331,
	//     "ExternalID": "ASFG9322",
	//     "URI": "/accounts/173331"
	//   }
	// }
}

func Example_alphaTouch() {
	e, err := Compile(Spec{Type: KindTemplate, Template: AlphaTouchTemplate})
	if err != nil {
		panic(err)
	}
	meta := map[string]string{"api_key": "UNIQUE_API_KEY"}
	for _, ev := range []Event{
		{Topic: "resident/updated", Data: []byte(`{"id":17,"name":"Ann"}`)},
		{Topic: "resident/deleted", Data: []byte(`{"id":17}`)},
	} {
		body, err := e.Render(nil, &Scope{Event: ev, Endpoint: Endpoint{Metadata: meta}})
		if err != nil {
			panic(err)
		}
		fmt.Println(string(body))
	}
	// Output:
	// {"api_key":"UNIQUE_API_KEY","action":"update","entity":"resident","entity_id":17,"data":{"id":17,"name":"Ann"}}
	// {"api_key":"UNIQUE_API_KEY","action":"delete","entity":"resident","entity_id":17}
}
