package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzCompileRender checks that any template either fails to compile with
// an ErrInvalid that says where, or renders valid JSON within the limits, or
// fails to render with one of the render errors; and never panics. The seed
// corpus is in testdata/fuzz/FuzzCompileRender.
func FuzzCompileRender(f *testing.F) {
	f.Add(PepperiTemplate, []byte(testData), "232455")
	f.Add(AlphaTouchTemplate, []byte(`{"id":17}`), "KEY")
	f.Fuzz(func(t *testing.T, tmpl string, data []byte, meta string) {
		lim := Limits{MaxOutput: 64 << 10, MaxSteps: 1 << 20}
		spec := Spec{Type: KindTemplate, Template: tmpl}
		verr := spec.Validate()
		e, err := CompileLimits(spec, lim)
		if (verr == nil) != (err == nil) {
			t.Fatalf("Validate = %v but Compile = %v", verr, err)
		}
		if err != nil {
			var te *TemplateError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &te) || te.Msg == "" || te.Line < 1 || te.Column < 1 || te.Offset > len(tmpl) {
				t.Fatalf("Compile error %#v is not a TemplateError with a position", err)
			}
			return
		}
		s := &Scope{
			Event: Event{
				ID: "evt_1", TenantID: meta, Topic: meta + "/deleted", SubTopic: meta,
				TriggeredAt: time.Unix(1614265330, 5), Data: data,
			},
			Delivery: Delivery{ID: "dlv_1", CreatedAt: time.Unix(1614265330, 0), Attempt: 3},
			Endpoint: Endpoint{ID: "wbh_1", Name: meta, Metadata: map[string]string{"k": meta, meta: meta}},
		}
		out, err := e.Render([]byte("x"), s)
		if err != nil {
			switch {
			case errors.Is(err, ErrTooLarge), errors.Is(err, ErrBudget):
			case errors.Is(err, ErrInvalidData) && !json.Valid(data):
			default:
				t.Fatalf("Render error %v", err)
			}
			if string(out) != "x" {
				t.Fatalf("Render changed dst on error: %q", out)
			}
			return
		}
		body := out[1:]
		if !json.Valid(body) {
			t.Fatalf("Render produced invalid JSON:\n%s\nfrom template\n%s", body, tmpl)
		}
		if len(body) > lim.MaxOutput {
			t.Fatalf("Render produced %d bytes, over the limit of %d", len(body), lim.MaxOutput)
		}
		again, err := e.Render(nil, s)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("second Render = %s, %v; want the same body", again, err)
		}
	})
}
