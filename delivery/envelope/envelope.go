package envelope

import (
	"errors"
	"fmt"
	"time"

	"hooks/rawjson"
)

// Kind names how an endpoint's deliveries wrap the event's data.
type Kind string

// The kinds of envelope.
const (
	KindRaw      Kind = "raw"      // the event's data as posted
	KindStandard Kind = "standard" // {"type","timestamp","data"}
	KindTemplate Kind = "template" // the endpoint's own JSON template
)

// Bounds on a template, checked when it is compiled.
const (
	MaxTemplateSize = 64 << 10 // bytes of template source
	MaxDepth        = 32       // nesting of objects and arrays
)

// Default bounds on one render; see [Limits].
//
// A step is about a nanosecond of work: a byte of event data checked,
// scanned or copied, or a quarter of a byte decoded, compared or encoded as
// text. The budget lets a template check a 1 MiB event, look inside it
// twice and copy it whole, as PepperiTemplate does, and not much more.
// BenchmarkWorstTemplate renders the costliest templates found on a 1 MiB
// event: on the 2-core reference machine, busy with other work (load 7),
// the worst (lookups past 1 MiB of tiny members with escaped names) took
// 7 ms and the 31-deep $if comparing 1 MiB strings 3 ms, each allocating
// under 50 KB. Before, the budget was 2^26 steps and a comparison cost one
// step whatever its size: that $if took 0.33 s and 94 MB, and the lookups
// 1 s and 1 GB.
const (
	DefaultMaxOutput = 1<<20 + MaxTemplateSize // the largest event data with a template around it
	DefaultMaxSteps  = 5 << 20
)

var (
	// ErrInvalid is wrapped by every error that Validate and Compile return
	// for a spec that can't be used.
	ErrInvalid = errors.New("invalid envelope")

	// ErrTooLarge reports a template that rendered more than Limits.MaxOutput bytes.
	ErrTooLarge = errors.New("envelope template: rendered body is too large")

	// ErrBudget reports a template that needed more than Limits.MaxSteps steps.
	ErrBudget = errors.New("envelope template: budget exceeded")

	// ErrInvalidData reports event data that is not valid JSON to a template
	// that looks inside it.
	ErrInvalidData = errors.New("envelope template: event data is not valid JSON")
)

// Spec is an endpoint's envelope setting, as stored and as sent over the API.
type Spec struct {
	Type     Kind   `json:"type"`
	Template string `json:"template,omitempty"` // the JSON template, for type template
}

// Validate normalises s and reports what is wrong with it. An empty Type
// becomes raw, and a Template is dropped unless Type is template, as the
// other kinds have no use for it. A template that doesn't compile is reported
// as a *TemplateError that gives the position of the problem.
func (s *Spec) Validate() error {
	_, err := s.compile()
	return err
}

// compile normalises s and returns its compiled template, if it has one.
func (s *Spec) compile() (*template, error) {
	switch s.Type {
	case "", KindRaw:
		s.Type, s.Template = KindRaw, ""
	case KindStandard:
		s.Template = ""
	case KindTemplate:
		return parseTemplate(s.Template)
	default:
		return nil, fmt.Errorf("%w: unknown type %q (want raw, standard or template)", ErrInvalid, s.Type)
	}
	return nil, nil
}

// Event is the event being delivered.
type Event struct {
	ID          string
	TenantID    string
	Topic       string
	SubTopic    string
	TriggeredAt time.Time
	Data        []byte // the JSON data as posted, or empty for none
}

// Delivery is the delivery of one event to one endpoint.
type Delivery struct {
	ID        string
	CreatedAt time.Time
	UpdatedAt time.Time
	Attempt   int // 1 for the first attempt
}

// Endpoint is the endpoint that receives the delivery.
type Endpoint struct {
	ID       string
	Name     string
	Metadata map[string]string
}

// Scope is everything that a template can refer to.
type Scope struct {
	Event    Event
	Delivery Delivery
	Endpoint Endpoint
}

// Limits bound the cost of rendering one delivery with a template. Raw and
// standard envelopes are not limited: their size follows from the event's,
// which ingest already limits. A zero field takes its default.
type Limits struct {
	MaxOutput int // bytes that one Render may append; DefaultMaxOutput if 0
	MaxSteps  int // work, in steps of about a nanosecond; DefaultMaxSteps if 0
}

// Envelope is a compiled Spec. It is immutable and safe for concurrent use,
// so an endpoint's Envelope is compiled once and used for all its deliveries.
// The zero Envelope is raw.
type Envelope struct {
	kind     Kind
	root     *node
	usesData bool // whether the template refers to event.data, which must then be valid JSON
	lim      Limits
}

// Compile validates spec and compiles it with the default Limits.
func Compile(spec Spec) (*Envelope, error) {
	return CompileLimits(spec, Limits{})
}

// CompileLimits validates spec and compiles it with the given limits.
func CompileLimits(spec Spec, lim Limits) (*Envelope, error) {
	t, err := spec.compile()
	if err != nil {
		return nil, err
	}
	if lim.MaxOutput <= 0 {
		lim.MaxOutput = DefaultMaxOutput
	}
	if lim.MaxSteps <= 0 {
		lim.MaxSteps = DefaultMaxSteps
	}
	e := &Envelope{kind: spec.Type, lim: lim}
	if t != nil {
		e.root, e.usesData = t.root, t.usesData
	}
	return e, nil
}

// Kind reports the kind of e.
func (e *Envelope) Kind() Kind { return e.kind }

// Render appends the body for the delivery described by s to dst and returns
// the extended buffer. On error it returns dst unchanged.
//
// The event's data must be valid JSON or empty, as ingest guarantees. Raw
// and standard envelopes pass it through unchecked, because checking it would
// cost several times more than rendering them; empty data is an empty raw body
// and a null standard one. A template, which looks inside the data, checks it
// and reports ErrInvalidData rather than send a malformed body.
//
// Only a template fails to render, with ErrInvalidData, ErrTooLarge or
// ErrBudget. Each follows from the template, the limits and the scope, so
// rendering the same delivery again fails the same way.
func (e *Envelope) Render(dst []byte, s *Scope) ([]byte, error) {
	switch e.kind {
	case KindStandard:
		return appendStandard(dst, s), nil
	case KindTemplate:
		return e.renderTemplate(dst, s)
	}
	return append(dst, s.Event.Data...), nil
}

func (e *Envelope) renderTemplate(dst []byte, s *Scope) ([]byte, error) {
	out, _, err := e.renderSteps(dst, s)
	return out, err
}

// renderSteps renders a template and also returns the steps it charged.
func (e *Envelope) renderSteps(dst []byte, s *Scope) ([]byte, int, error) {
	r := renderer{scope: s, out: dst, start: len(dst), lim: e.lim}
	if e.usesData && len(s.Event.Data) > 0 {
		r.steps += len(s.Event.Data)
		if !rawjson.Valid(s.Event.Data) {
			return dst, r.steps, ErrInvalidData
		}
	}
	if !r.render(e.root) && r.err == nil {
		// Compile refuses a top-level value that can be left out; this is
		// only a guard so that the body is JSON whatever happens.
		r.out = append(r.out, null...)
	}
	switch {
	case errors.Is(r.err, ErrBudget):
		return dst, r.steps, fmt.Errorf("%w: rendering needs more than %d steps (bytes of event data read, compared and written) for this event of %d bytes",
			ErrBudget, e.lim.MaxSteps, len(s.Event.Data))
	case errors.Is(r.err, ErrTooLarge):
		return dst, r.steps, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, e.lim.MaxOutput)
	case r.err != nil:
		return dst, r.steps, r.err
	}
	return r.out, r.steps, nil
}

var null = []byte("null")

// appendStandard appends {"type":<topic>,"timestamp":<triggered at>,"data":<data>}.
func appendStandard(dst []byte, s *Scope) []byte {
	data := s.Event.Data
	if len(data) == 0 {
		data = null
	}
	dst = append(dst, `{"type":`...)
	dst = rawjson.AppendString(dst, s.Event.Topic)
	dst = append(dst, `,"timestamp":"`...)
	dst = s.Event.TriggeredAt.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","data":`...)
	dst = append(dst, data...)
	return append(dst, '}')
}
