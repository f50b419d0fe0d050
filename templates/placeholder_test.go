package templates

import (
	"testing"

	"hooks/delivery/envelope"
)

// The form's example must be a template the engine accepts, or users who
// copy it get an error on save.
func TestTemplatePlaceholderCompiles(t *testing.T) {
	if _, err := envelope.Compile(envelope.Spec{Type: envelope.KindTemplate, Template: templatePlaceholder}); err != nil {
		t.Fatalf("the form's example template does not compile: %v", err)
	}
}
