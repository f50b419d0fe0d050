// Package envelope turns an event into the HTTP body that one endpoint
// receives. Each endpoint chooses one kind of envelope:
//
//   - raw (the default): the event's data exactly as it was posted.
//   - standard: {"type":<topic>,"timestamp":<triggered at>,"data":<data>}, the
//     timestamp in RFC 3339, UTC, with nanoseconds.
//   - template: a JSON template written by the operator and rendered for every
//     delivery, to reproduce the body that a receiver already expects from
//     another provider (see [PepperiTemplate] and [AlphaTouchTemplate]).
//
// A [Spec] is what an endpoint stores; [Compile] turns it into an [Envelope]
// once per endpoint configuration, and [Envelope.Render] appends one
// delivery's body to a buffer.
//
// # Templates
//
// A template is itself a JSON document. It is copied to the body as written
// (without its insignificant white space), except for strings holding
// {{ }} tags and for $if objects.
//
// A string that is exactly one tag is replaced by the JSON value of the tag's
// expression: "{{ event.data }}" stays an object, "{{ delivery.attempt }}" a
// number. A string with tags among other text stays a string in which each
// tag is replaced by its value's text, escaped as JSON requires:
//
//	{
//	  "id": "{{ event.id }}",
//	  "data": "{{ event.data }}",
//	  "summary": "{{ event.topic }} for shop {{ metadata.shop }}"
//	}
//
// Values are always encoded by the renderer, never pasted into the template's
// text, so no value (a customer's name holding quotes, say) can change the
// shape of the body. Member names are plain text; tags are only allowed in
// values. To write a literal "{{" in a string, use a tag with a literal:
// {{ '{{' }}.
//
// An expression names a value in the scope of the delivery:
//
//	event.id  event.topic  event.subTopic  event.tenantId  event.triggeredAt
//	event.data  event.data.customer.id  event.data.items.0.sku  event.data['odd key']
//	delivery.id  delivery.createdAt  delivery.updatedAt  delivery.attempt
//	endpoint.id  endpoint.name
//	metadata  metadata.companyId  metadata['api key']
//
// or is a literal: 'text' or "text" (a backslash escapes the next character;
// single quotes save escaping inside the template's JSON strings),
// a number, true, false or null. Names are checked when the template is saved,
// and a misspelt one is a [TemplateError] that gives its line, column and place
// in the document; the members of event.data and the keys of the endpoint's
// metadata are free-form. A value that is absent when a delivery is rendered (a member that
// the event's data lacks, a metadata key that is not set, an empty sub-topic)
// is missing: it renders as null, or as nothing inside text. Times render as
// strings in RFC 3339, UTC, with nanoseconds; metadata values are strings.
//
// Filters follow an expression, each after a |, and apply from left to right:
//
//	default X        X (a literal or a name) when the value is missing, null or ""
//	lower, upper     the value's text in lower or upper case
//	split SEP N      part N (0 is the first, -1 the last) of the text cut at SEP:
//	                 {{ event.topic | split '/' 0 }} is "product" for product/deleted
//	trimPrefix S     the text without a leading S
//	trimSuffix S     the text without a trailing S
//	string           the value's text as a string: {{ event.data.id | string }}
//	number           text holding a number, as that number; other text is missing:
//	                 {{ metadata.companyId | number | default metadata.companyId }}
//	json             the value's JSON encoding as a string, for receivers that
//	                 want the data as a string rather than an object
//
// Other filters leave a missing value missing, so that a default at the end of
// a chain applies.
//
// # Conditional members
//
// An object whose members are "$if", "$then" and optionally "$else" is a
// conditional. It renders as its $then value when the condition holds and as
// its $else value when it does not. A conditional without $else that does not
// hold leaves out the object member or array element that holds it entirely;
// this is how AlphaTouch's "no data for deletes" is written:
//
//	"data": {"$if": "event.topic | split '/' -1 != 'deleted'", "$then": "{{ event.data }}"}
//
// A condition is an expression, "!" and an expression, or two expressions
// compared with == or !=. An expression holds unless it is missing, null,
// false, "" or 0. Strings compare by text and numbers by value; missing equals
// null. The top-level value of a template can't be left out, so a conditional
// there needs an $else.
//
// # Bounds
//
// A template's source is at most [MaxTemplateSize] bytes and nests at most
// [MaxDepth] levels. Rendering one delivery is bounded by [Limits]: the body a
// template renders is at most MaxOutput bytes, and the work it does at most
// MaxSteps, a budget counted in steps rather than in wall-clock time so that
// the same delivery always renders the same way. Every byte of event data
// checked, scanned, compared, decoded, copied or encoded is charged, before
// the work is done, so a template that would need more stops early with
// [ErrBudget]; with the defaults no template costs more than a few
// milliseconds on the largest event.
package envelope
