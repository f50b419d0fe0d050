package delivery

import (
	"errors"
	"fmt"

	"hooks/delivery/envelope"
	"hooks/delivery/netguard"
	"hooks/domain"
)

// Checks returns the rules of this engine that endpoint validation applies:
// its network policy for target URLs, its envelope compiler and its
// metadata header prefix.
func (e *Engine) Checks() domain.Checks {
	return domain.Checks{URL: e.checkURL, Host: e.checkHost, Template: checkTemplate, HeaderPrefix: e.cfg.HeaderPrefix}
}

// checkHost vets a broker's host under the engine's network policy.
func (e *Engine) checkHost(host string) error {
	err := e.cfg.Policy.CheckHost(host)
	var ue *netguard.URLError
	if errors.As(err, &ue) {
		return errors.New(ue.Reason)
	}
	return err
}

// checkURL vets a target URL under the engine's network policy.
func (e *Engine) checkURL(raw string) (string, error) {
	u, err := e.cfg.Policy.CheckURL(raw)
	if err != nil {
		var ue *netguard.URLError
		if errors.As(err, &ue) {
			return "", errors.New(ue.Reason)
		}
		return "", err
	}
	return u.String(), nil
}

// checkTemplate compiles an envelope template and says what is wrong with
// it, and where, in words for whoever wrote it.
func checkTemplate(template string) error {
	spec := envelope.Spec{Type: envelope.KindTemplate, Template: template}
	err := spec.Validate()
	var te *envelope.TemplateError
	if errors.As(err, &te) {
		return fmt.Errorf("template line %d, column %d (at %s): %s", te.Line, te.Column, te.Path, te.Msg)
	}
	return err
}

// ValidateWebhook checks w as a user configured it under the engine's rules
// and fills in defaults (see domain.ValidateEndpoint).
func (e *Engine) ValidateWebhook(w *domain.Endpoint) error {
	return domain.ValidateEndpoint(w, e.Checks())
}
