package web

import (
	"strconv"
	"strings"

	"hooks/domain"
	"hooks/templates"
)

// destinationToForm fills the form's destination fields from h, the broker
// URL's credentials masked.
func destinationToForm(h *domain.Endpoint) templates.DestinationForm {
	d := h.Destination
	f := templates.DestinationForm{Type: d.Type, URL: domain.MaskURL(d.URL), Exchange: d.Exchange, RoutingKey: d.RoutingKey,
		Brokers: templates.JoinList(d.Brokers), Topic: d.Topic, Subject: d.Subject, Stream: d.Stream}
	if f.Type == "" {
		f.Type = domain.DestinationHTTP
	}
	if d.MaxLen > 0 {
		f.MaxLen = strconv.FormatInt(d.MaxLen, 10)
	}
	return f
}

// applyDestinationForm copies the destination the form chose onto h: the
// URL for HTTP, the chosen broker's fields otherwise. A broker URL left
// masked as the form showed it keeps its credentials.
func applyDestinationForm(f templates.WebhookForm, h *domain.Endpoint, errs templates.FieldErrors) {
	fd := f.Destination
	if fd.Type == "" || fd.Type == domain.DestinationHTTP {
		h.URL, h.Destination = f.URL, domain.Destination{Type: domain.DestinationHTTP}
		return
	}
	d := domain.Destination{Type: fd.Type}
	switch fd.Type {
	case domain.DestinationRabbitMQ:
		d.URL, d.Exchange, d.RoutingKey = fd.URL, fd.Exchange, fd.RoutingKey
	case domain.DestinationKafka:
		d.Brokers, d.Topic = templates.SplitList(fd.Brokers), fd.Topic
	case domain.DestinationNATS:
		d.URL, d.Subject = fd.URL, fd.Subject
	case domain.DestinationRedis:
		d.URL, d.Stream = fd.URL, fd.Stream
		if fd.MaxLen != "" {
			n, err := strconv.ParseInt(fd.MaxLen, 10, 64)
			if err != nil || n < 0 {
				errs["dest_max_len"] = "Enter a whole number of entries, or leave it empty for an unbounded stream."
			}
			d.MaxLen = n
		}
	}
	if strings.Contains(d.URL, domain.CredentialMask) {
		u, err := domain.UnmaskURL(d.URL, h.Destination.URL)
		if err != nil {
			errs["dest_url"] = domain.ErrorMessage(err)
		}
		d.URL = u
	}
	h.Destination = d
}

// destinationView is h's destination for display, credentials masked.
func destinationView(h *domain.Endpoint) templates.DestinationView {
	d := h.Destination
	v := templates.DestinationView{Type: d.Type, URL: domain.MaskURL(d.URL)}
	line := func(name, value string) {
		if value != "" {
			v.Lines = append(v.Lines, templates.Header{Name: name, Value: value})
		}
	}
	switch d.Type {
	case domain.DestinationRabbitMQ:
		exchange := d.Exchange
		if exchange == "" {
			exchange = "(default exchange)"
		}
		line("Exchange", exchange)
		line("Routing key", d.RoutingKey)
	case domain.DestinationKafka:
		line("Brokers", strings.Join(d.Brokers, ", "))
		line("Topic", d.Topic)
	case domain.DestinationNATS:
		line("Subject", d.Subject)
	case domain.DestinationRedis:
		line("Stream", d.Stream)
		if d.MaxLen > 0 {
			line("Max length", "~"+strconv.FormatInt(d.MaxLen, 10))
		}
	}
	return v
}
