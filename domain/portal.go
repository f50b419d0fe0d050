package domain

import (
	"net/url"
	"regexp"
	"time"
)

// Customer-portal roles: an admin may change the tenant's endpoints and see
// their secrets; a viewer may only look.
const (
	PortalAdmin  = "admin"
	PortalViewer = "viewer"
)

// PortalSessionLifetime is how long a portal session lasts from the link's
// use, whatever the activity: the product mints a new link each time its
// customer opens Settings → Webhooks.
const PortalSessionLifetime = 12 * time.Hour

// PortalBrand is the customer portal in the product's clothes: the name
// its pages show, an accent colour and a logo. Empty fields mean "not set".
type PortalBrand struct {
	Name    string `json:"name"`
	Accent  string `json:"accent"`  // #rrggbb
	LogoURL string `json:"logoUrl"` // https://…
}

var accentPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate checks b's fields, naming the field at fault under prefix
// (e.g. "portal." for the tenants API).
func (b PortalBrand) Validate(prefix string) error {
	if len(b.Name) > 100 {
		return FieldErrorf(prefix+"name", "name is longer than 100 characters")
	}
	if b.Accent != "" && !accentPattern.MatchString(b.Accent) {
		return FieldErrorf(prefix+"accent", "accent must be a colour written #rrggbb, e.g. #0a7d4f")
	}
	if b.LogoURL != "" {
		// The logo is an <img> on pages that may be framed by the
		// product's https pages: plain http would be mixed content.
		u, err := url.Parse(b.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(b.LogoURL) > 2000 {
			return FieldErrorf(prefix+"logoUrl", "logoUrl must be an https URL of at most 2000 characters")
		}
	}
	return nil
}

// Or returns b with each empty field taken from fallback.
func (b PortalBrand) Or(fallback PortalBrand) PortalBrand {
	if b.Name == "" {
		b.Name = fallback.Name
	}
	if b.Accent == "" {
		b.Accent = fallback.Accent
	}
	if b.LogoURL == "" {
		b.LogoURL = fallback.LogoURL
	}
	return b
}
